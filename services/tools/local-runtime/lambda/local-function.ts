import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda function as the local runtime runs it: the real handler plus its declared limits. */
export interface LocalFunction<E, R> {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly handler: (event: E, context: Context) => Promise<R>;
}

export type InvocationOutcome<R> =
  | { readonly ok: true; readonly result: R; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly error: unknown;
      readonly timedOut: boolean;
      readonly durationMs: number;
      /**
       * After a timeout: the handler, which in-process cannot be frozen, still running. On AWS its
       * sandbox would be gone; locally a caller holds its concurrency slot until this settles, so
       * retries cannot pile up beside invocations that never stopped.
       */
      readonly stillRunning?: Promise<unknown>;
    };

export class LambdaTimeoutError extends Error {
  override name = 'LambdaTimeoutError';
}

/** A context with a real deadline, as the Lambda service gives one. */
export function lambdaContext(
  fn: { name: string; timeoutSeconds: number; memoryMb: number },
  region: string,
): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  const requestId = randomUUID();
  const unsupported = () => {
    throw new Error('callback-style completion is not supported by the local runtime');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Invokes a handler the way the Lambda service does: with a context whose remaining time runs
 * down, and a hard timeout after which the invocation counts as failed. In-process the handler
 * cannot be frozen, so work it still does after the timeout is ignored, like a frozen sandbox's.
 */
export async function invokeLocally<E, R>(
  fn: LocalFunction<E, R>,
  event: E,
  region: string,
  options: { timeoutSeconds?: number | undefined } = {},
): Promise<InvocationOutcome<R>> {
  const started = Date.now();
  // A shorter timeout for this invocation only (fault injection: a Lambda timeout).
  const timeoutSeconds = options.timeoutSeconds ?? fn.timeoutSeconds;
  const context = lambdaContext({ ...fn, timeoutSeconds }, region);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LambdaTimeoutError(`${fn.name} timed out after ${timeoutSeconds} s`)),
      timeoutSeconds * 1000,
    );
  });
  const running = fn.handler(event, context);
  try {
    const result = await Promise.race([running, timeout]);
    return { ok: true, result, durationMs: Date.now() - started };
  } catch (error) {
    const timedOut = error instanceof LambdaTimeoutError;
    return {
      ok: false,
      error,
      timedOut,
      durationMs: Date.now() - started,
      ...(timedOut ? { stillRunning: running.catch(() => undefined) } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}
