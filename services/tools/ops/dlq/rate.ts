/**
 * A messages-per-second limit for redrive (`--rate N`): at most N acquisitions in any one-second
 * window, spaced evenly (1/N s apart). Clock and sleep are injectable for tests.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class RateLimiter {
  private readonly intervalMs: number;
  private next: number | undefined;
  private readonly clock: Clock;

  /** `perSecond` undefined or Infinity: no limit. */
  constructor(perSecond: number | undefined, clock: Clock = systemClock) {
    if (perSecond !== undefined && !(perSecond > 0)) throw new RangeError('rate must be positive');
    this.intervalMs =
      perSecond === undefined || perSecond === Number.POSITIVE_INFINITY ? 0 : 1000 / perSecond;
    this.clock = clock;
  }

  /** Resolves when the next message may go. */
  async acquire(): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = this.clock.now();
    const at = this.next === undefined || this.next < now ? now : this.next;
    this.next = at + this.intervalMs;
    if (at > now) await this.clock.sleep(at - now);
  }
}
