/**
 * Faults the Lambda service itself produces, applied by the local invoker and the event source
 * mapping: timeouts, duplicate deliveries, reordering.
 */
import type { FaultInjector } from './injector.ts';

/**
 * A drawn timeout: the invocation gets a deadline between 20 ms and 1.5 s (never more than its
 * own), so it is cut off part-way through its work with whatever side effects it made so far; the
 * handler's context sees the short deadline too. Undefined: no fault.
 */
export function injectedTimeoutSeconds(
  faults: FaultInjector | undefined,
  timeoutSeconds: number,
): number | undefined {
  if (!faults?.draw('timeout')) return undefined;
  const ms = faults.rng('timeout').int(20, 1500);
  return Math.min(timeoutSeconds, ms / 1000);
}
