import { CliError } from './errors.ts';

/**
 * AWS failures a user fixes from the shell (no credentials, expired session, access denied, an
 * unknown region, an endpoint that cannot be reached) become one-line errors with exit code 2,
 * "could not run". Anything else passes through unchanged.
 */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredTokenException',
  'TokenRefreshRequired',
]);
const ACCESS_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'UnauthorizedOperation',
]);
const NETWORK_CODES = new Set(['ENOTFOUND', 'ECONNREFUSED', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET']);

export function awsErrorMessage(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { name, message, code } = error as { name?: string; message?: string; code?: string };
  if (name && CREDENTIAL_ERRORS.has(name)) {
    return `AWS credentials: ${message ?? name} (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and AWS_REGION)`;
  }
  if (name && ACCESS_ERRORS.has(name)) return `AWS refused the request: ${name}: ${message ?? ''}`.trim();
  if (code && NETWORK_CODES.has(code)) return `cannot reach AWS: ${message ?? code}`;
  if (name === 'Error' && message?.includes('Region is missing')) {
    return 'AWS region is missing: set AWS_REGION (or a profile with a region)';
  }
  return undefined;
}

export async function withAwsErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = awsErrorMessage(error);
    if (message === undefined) throw error;
    throw new CliError(message, { exitCode: 2, cause: error });
  }
}
