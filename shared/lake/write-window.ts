/**
 * A bounded window of writes in flight: a writer hands each object over and goes on (reading the
 * next page, encoding the next file) while the PUT runs, at most `maxCount` objects and
 * `maxBytes` bytes at once (one object is always let through, however large), so memory holds a
 * bounded number of bodies, never a unit's. `drain()` waits for every write and throws the first
 * failure: a writer calls it before its manifest, which must only name objects that are in S3.
 *
 * A failed write fails the window: the next `add` (or `drain`) throws that failure, and no later
 * write starts. `settle()` waits for what is still running without throwing, for a writer that
 * fails for another reason and must leave nothing running behind it.
 */
export interface WriteWindowLimits {
  /** Most writes in flight. */
  readonly maxCount: number;
  /** Most bytes in flight (one write larger than this runs alone). */
  readonly maxBytes: number;
}

/** 4 objects, 16 MiB: a few small objects overlap; two 6 MB parts (20,000 rows) at most. */
export const DEFAULT_WRITE_WINDOW: WriteWindowLimits = { maxCount: 4, maxBytes: 16 * 1024 * 1024 };

export class WriteWindow {
  private readonly limits: WriteWindowLimits;
  private readonly running = new Set<Promise<void>>();
  private bytesInFlight = 0;
  private failure: { readonly error: unknown } | undefined;

  constructor(limits: WriteWindowLimits = DEFAULT_WRITE_WINDOW) {
    if (!Number.isSafeInteger(limits.maxCount) || limits.maxCount < 1) {
      throw new RangeError(`maxCount must be a positive integer, got ${limits.maxCount}`);
    }
    if (!(limits.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${limits.maxBytes}`);
    this.limits = limits;
  }

  /** Writes in flight now. */
  get inFlight(): number {
    return this.running.size;
  }

  /**
   * Starts `write` (of `bytes` bytes) once the window has room; resolves when it has started.
   * Throws the failure of an earlier write instead of starting this one.
   */
  async add(bytes: number, write: () => Promise<unknown>): Promise<void> {
    this.throwIfFailed();
    while (this.running.size > 0 && !this.fits(bytes)) {
      await Promise.race(this.running);
      this.throwIfFailed();
    }
    this.bytesInFlight += bytes;
    const task: Promise<void> = Promise.resolve()
      .then(write)
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => {
        this.bytesInFlight -= bytes;
        this.running.delete(task);
      });
    this.running.add(task);
  }

  /** Waits for every write; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every write, failed or not; never throws. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private fits(bytes: number): boolean {
    return this.running.size < this.limits.maxCount && this.bytesInFlight + bytes <= this.limits.maxBytes;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
