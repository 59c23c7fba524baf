import { jest } from '@jest/globals';
import type { Config } from '@jest/types';

/** Every timer API: they all stay real, only `Date` is faked. */
const REAL: Config.FakeableAPI[] = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
];

/**
 * Moves `Date` forward by `ms` at once, instead of sleeping until a deadline passes (a visibility
 * timeout, an idempotency mark's expiry): code that compares `Date.now()` with a deadline (the
 * emulators in this process, Powertools) sees the time as passed. Timers, I/O and the passing of
 * real time are untouched (the faked clock keeps advancing with real time). `restoreClock()` ends it.
 */
export function moveClockForward(ms: number): void {
  jest.useFakeTimers({ doNotFake: REAL, advanceTimers: true, now: Date.now() + ms });
}

export function restoreClock(): void {
  jest.useRealTimers();
}
