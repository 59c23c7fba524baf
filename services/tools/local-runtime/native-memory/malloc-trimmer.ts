/**
 * Bounds what `totes start` keeps outside the V8 heap: every `everyMs` it calls glibc's
 * `malloc_trim(0)`, which gives back to the kernel the memory malloc kept after it was freed
 * (the soak's slow RSS growth: issue 19 item 10, services/tools/bench/method.md "Memory over
 * time"). `MALLOC_ARENA_MAX` only limits how many arenas keep such memory; without a trim each
 * keeps its high-water mark. A no-op where there is no glibc (musl, macOS, Windows).
 */
import { performance } from 'node:perf_hooks';
import { type GlibcMalloc, loadGlibcMalloc } from './glibc-malloc.ts';

/** Default period: long enough to cost nothing measurable, short enough to bound the growth. */
export const DEFAULT_MALLOC_TRIM_SECONDS = 60;

export interface MallocTrimmerOptions {
  readonly everyMs: number;
  /** glibc's malloc (tests pass their own); default: this process's, if it has one. */
  readonly malloc?: GlibcMalloc;
  /** Told once, after the first trim, what it did (debug). */
  readonly debug?: (line: string) => void;
}

/** One trim and what it did. */
export interface TrimOutcome {
  readonly released: boolean;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly freeBefore: number;
  readonly freeAfter: number;
  readonly ms: number;
}

const MB = 1024 * 1024;

export function describeTrim(t: TrimOutcome): string {
  const mb = (n: number) => (n / MB).toFixed(1);
  return (
    `malloc_trim(0) returned ${t.released ? 1 : 0} in ${t.ms.toFixed(1)} ms: ` +
    `RSS ${mb(t.rssBefore)} -> ${mb(t.rssAfter)} MB; malloc's free chunks ${mb(t.freeBefore)} MB before, ${mb(t.freeAfter)} MB after ` +
    '(a trimmed free chunk stays counted, its pages are given back)'
  );
}

export class MallocTrimmer {
  readonly #malloc: GlibcMalloc;
  readonly #timer: NodeJS.Timeout;
  #trims = 0;

  private constructor(malloc: GlibcMalloc, options: MallocTrimmerOptions) {
    this.#malloc = malloc;
    this.#timer = setInterval(() => {
      const outcome = this.trimNow();
      if (this.#trims === 1) options.debug?.(describeTrim(outcome));
    }, options.everyMs);
    // Never keeps the process alive on its own.
    this.#timer.unref();
  }

  /** Starts trimming; undefined (nothing runs) without glibc or with `everyMs` 0. */
  static start(options: MallocTrimmerOptions): MallocTrimmer | undefined {
    if (!(options.everyMs > 0)) return undefined;
    const malloc = options.malloc ?? loadGlibcMalloc();
    return malloc ? new MallocTrimmer(malloc, options) : undefined;
  }

  /** How many trims ran. */
  get trims(): number {
    return this.#trims;
  }

  /** Whether its timer holds the process open (it must not: Ctrl-C ends `totes start`, not this). */
  get keepsProcessAlive(): boolean {
    return this.#timer.hasRef();
  }

  /** One trim now (the timer's, or a caller's after a burst of work). */
  trimNow(): TrimOutcome {
    const rssBefore = process.memoryUsage.rss();
    const freeBefore = this.#malloc.info().free;
    const started = performance.now();
    const released = this.#malloc.trim(0);
    const ms = performance.now() - started;
    this.#trims += 1;
    return {
      released,
      rssBefore,
      rssAfter: process.memoryUsage.rss(),
      freeBefore,
      freeAfter: this.#malloc.info().free,
      ms,
    };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
