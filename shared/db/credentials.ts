import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../aws/clients.ts';
import { ConfigurationError, type EnvName } from '../config/env.ts';

/**
 * Resolves a database URL: a URL variable (local runs) wins; otherwise the Secrets Manager secret
 * named by the secret-id variable, in the shape RDS-managed secrets use
 * ({ username, password, host, port, dbname }) or { url }.
 */
export async function resolveDatabaseUrl(
  urlVariable: EnvName,
  secretIdVariable: EnvName,
  env: NodeJS.ProcessEnv = process.env,
  client: SecretsManagerClient = secretsManagerClient(),
): Promise<string> {
  const direct = env[urlVariable];
  if (direct) return direct;
  const secretId = env[secretIdVariable];
  if (!secretId)
    throw new ConfigurationError(`set ${urlVariable} (a postgres:// URL) or ${secretIdVariable}`);
  const secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!secret.SecretString) throw new ConfigurationError(`secret ${secretId} has no SecretString`);
  return databaseUrlFromSecret(secretId, secret.SecretString);
}

export function databaseUrlFromSecret(secretId: string, secretString: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(secretString) as Record<string, unknown>;
  } catch {
    throw new ConfigurationError(`secret ${secretId} is not JSON`);
  }
  if (typeof parsed.url === 'string') return parsed.url;
  const { username, password, host, port, dbname } = parsed;
  if (typeof username !== 'string' || typeof password !== 'string' || typeof host !== 'string') {
    throw new ConfigurationError(`secret ${secretId} needs url, or username, password and host`);
  }
  const url = new URL('postgres://placeholder');
  url.username = username;
  url.password = password;
  url.hostname = host;
  url.port = String(port ?? 5432);
  url.pathname = `/${typeof dbname === 'string' ? dbname : 'postgres'}`;
  return url.toString();
}
