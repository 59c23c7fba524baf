/** Thrown when the handler cannot run at all; the invocation fails after it is counted and logged. */
export class HandlerSetupError extends Error {
  override name = 'HandlerSetupError';
}
