/**
 * AWS errors as one clear line: `SQS GetQueueAttributes failed: InvalidAttributeName: Unknown
 * Attribute RedriveAllowPolicy`. The SDK's errors carry the service's code and message but not
 * the call; a middleware on each ops client records the client and command on the error (as
 * non-enumerable properties, so `instanceof` checks and retries see the SDK's own error), and
 * `awsErrorLine` writes the line the CLI prints (exit 2: "could not run").
 */
interface MiddlewareStackLike {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string; override?: boolean },
  ): void;
}

export interface AwsCall {
  readonly service: string;
  readonly operation: string;
}

const CALL = Symbol.for('totes.awsCall');

/** Records the failing call on every error `client` throws. Returns the client. */
export function nameAwsCalls<T extends { middlewareStack: unknown }>(client: T): T {
  (client.middlewareStack as MiddlewareStackLike).add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error && typeof error === 'object' && !(CALL in error)) {
          const call: AwsCall = {
            service: (context.clientName ?? 'AWS').replace(/Client$/, ''),
            operation: (context.commandName ?? 'call').replace(/Command$/, ''),
          };
          Object.defineProperty(error, CALL, { value: call, enumerable: false });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'totesNameAwsCalls', override: true },
  );
  return client;
}

/** The call an error came from, when a named client threw it. */
export function awsCallOf(error: unknown): AwsCall | undefined {
  return error && typeof error === 'object' && CALL in error
    ? (error as Record<symbol, AwsCall>)[CALL]
    : undefined;
}

/** Whether `error` is an answer of an AWS service (an SDK service exception). */
export function isAwsServiceError(
  error: unknown,
): error is Error & { $metadata: { httpStatusCode?: number } } {
  return error instanceof Error && typeof (error as { $metadata?: unknown }).$metadata === 'object';
}

/** One line for an AWS error (the call, the code, the service's message), or undefined. */
export function awsErrorLine(error: unknown): string | undefined {
  const call = awsCallOf(error);
  if (!call && !isAwsServiceError(error)) return undefined;
  const err = error as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.name && err.name !== 'Error' ? err.name : (err.Code ?? 'Error');
  const status = err.$metadata?.httpStatusCode;
  const where = call ? `${call.service} ${call.operation}` : 'AWS call';
  const message = (err.message || 'no message').replace(/\s+/g, ' ').trim();
  return `${where} failed: ${code}: ${message}${status ? ` (HTTP ${status})` : ''}`;
}
