/**
 * Preloaded into a child process (`node --import` this file; see totes-child.ts `clockAheadMs`):
 * its `Date` runs TOTES_TEST_CLOCK_AHEAD_MS ahead of the real clock, from its first line on.
 *
 * The child-process form of `moveClockForward` (./clock.ts): a process restarted after a SIGKILL
 * sees the visibility timeouts and idempotency marks its dead predecessor left as already passed,
 * so a test need not sleep through them, and the functions can keep timeouts long enough for their
 * real work on a loaded machine. Everything that compares `Date.now()` with a stored deadline (the
 * SQS and DynamoDB stand-ins, Powertools) sees the time as passed; timers, I/O and PostgreSQL's
 * clock are untouched (the extract's windows come from the database's clock, never from `Date`).
 */
const aheadMs = Number(process.env.TOTES_TEST_CLOCK_AHEAD_MS ?? '0');
if (!Number.isFinite(aheadMs) || aheadMs < 0)
  throw new Error(`TOTES_TEST_CLOCK_AHEAD_MS must be a number of milliseconds >= 0, got ${aheadMs}`);

if (aheadMs > 0) {
  const RealDate = Date;
  const now = () => RealDate.now() + aheadMs;
  // `new Date()` is "now" moved ahead; `new Date(x, ...)` is untouched; `Date()` (no `new`) is the
  // moved time as a string, as the real one. Instances are real Dates (same prototype).
  const MovedDate = function (this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target) as Date;
  } as unknown as DateConstructor;
  Object.setPrototypeOf(MovedDate, RealDate); // Date.UTC, Date.parse
  Object.defineProperty(MovedDate, 'prototype', { value: RealDate.prototype });
  Object.defineProperty(RealDate.prototype, 'constructor', { value: MovedDate });
  Object.defineProperty(MovedDate, 'now', { value: now, writable: true, configurable: true });
  globalThis.Date = MovedDate;
}
