/**
 * Issue 19 item 10: the pieces that bound `totes start`'s native memory — which platforms have
 * glibc's malloc to trim and to tune, the periodic trim (driven by fake timers), and the malloc
 * settings `totes start` adds to its own environment.
 */
import { jest } from '@jest/globals';
import {
  type GlibcMalloc,
  hasGlibcMalloc,
  type MallocInfo,
} from '../../../services/tools/local-runtime/native-memory/glibc-malloc.ts';
import {
  missingMallocSettings,
  START_MALLOC_SETTINGS,
} from '../../../services/tools/local-runtime/native-memory/malloc-environment.ts';
import {
  describeTrim,
  MallocTrimmer,
} from '../../../services/tools/local-runtime/native-memory/malloc-trimmer.ts';

const glibc = { platform: 'linux', glibcVersionRuntime: '2.36' } as const;
const musl = { platform: 'linux', glibcVersionRuntime: undefined } as const;
const macos = { platform: 'darwin', glibcVersionRuntime: undefined } as const;

describe('hasGlibcMalloc', () => {
  it('is true on Linux with glibc 2.33 or newer (mallinfo2 came with 2.33)', () => {
    expect(hasGlibcMalloc(glibc)).toBe(true);
    expect(hasGlibcMalloc({ platform: 'linux', glibcVersionRuntime: '2.33' })).toBe(true);
    expect(hasGlibcMalloc({ platform: 'linux', glibcVersionRuntime: '3.0' })).toBe(true);
  });

  it('is false without glibc (musl, macOS, Windows), on an older glibc, or an unreadable version', () => {
    expect(hasGlibcMalloc(musl)).toBe(false);
    expect(hasGlibcMalloc(macos)).toBe(false);
    expect(hasGlibcMalloc({ platform: 'win32', glibcVersionRuntime: undefined })).toBe(false);
    expect(hasGlibcMalloc({ platform: 'linux', glibcVersionRuntime: '2.31' })).toBe(false);
    expect(hasGlibcMalloc({ platform: 'linux', glibcVersionRuntime: 'unknown' })).toBe(false);
    // A report that claims glibc on another platform is not believed.
    expect(hasGlibcMalloc({ platform: 'darwin', glibcVersionRuntime: '2.36' })).toBe(false);
  });
});

describe('missingMallocSettings (what `totes start` run directly adds to its environment)', () => {
  it('adds MALLOC_ARENA_MAX=2 to `start` on glibc Linux when it is not set', () => {
    expect(START_MALLOC_SETTINGS).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(missingMallocSettings(['start', '--every', '10'], {}, glibc)).toEqual({ MALLOC_ARENA_MAX: '2' });
    // Any glibc: MALLOC_ARENA_MAX is older than mallinfo2.
    expect(missingMallocSettings(['start'], {}, { platform: 'linux', glibcVersionRuntime: '2.28' })).toEqual({
      MALLOC_ARENA_MAX: '2',
    });
  });

  it('keeps a value already set (npm start, or the user), even an empty one', () => {
    expect(missingMallocSettings(['start'], { MALLOC_ARENA_MAX: '8' }, glibc)).toBeUndefined();
    expect(missingMallocSettings(['start'], { MALLOC_ARENA_MAX: '' }, glibc)).toBeUndefined();
  });

  it('adds nothing to other commands, nor without glibc', () => {
    expect(missingMallocSettings(['status'], {}, glibc)).toBeUndefined();
    expect(missingMallocSettings([], {}, glibc)).toBeUndefined();
    expect(missingMallocSettings(['run', 'start'], {}, glibc)).toBeUndefined();
    expect(missingMallocSettings(['start'], {}, musl)).toBeUndefined();
    expect(missingMallocSettings(['start'], {}, macos)).toBeUndefined();
  });
});

/** A malloc whose trim gives back `freed` bytes of "free chunks" once. */
function fakeMalloc() {
  let free = 30 * 1024 * 1024;
  const calls: number[] = [];
  const info = (): MallocInfo => ({
    arena: 64 * 1024 * 1024,
    mmapped: 0,
    inUse: 20 * 1024 * 1024,
    free,
    releasable: 0,
  });
  const malloc: GlibcMalloc = {
    trim: (pad = 0) => {
      calls.push(pad);
      const released = free > 0;
      free = 0;
      return released;
    },
    info,
  };
  return { malloc, calls };
}

describe('MallocTrimmer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls malloc_trim(0) every period and tells debug once, after the first trim', async () => {
    const { malloc, calls } = fakeMalloc();
    const debug: string[] = [];
    const trimmer = MallocTrimmer.start({ everyMs: 60_000, malloc, debug: (line) => debug.push(line) });
    expect(trimmer).toBeDefined();
    expect(calls).toEqual([]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([0]);
    expect(debug).toHaveLength(1);
    expect(debug[0]).toMatch(
      /^malloc_trim\(0\) returned 1 in \d+\.\d ms: RSS [\d.]+ -> [\d.]+ MB; malloc's free chunks 30\.0 MB before, 0\.0 MB after/,
    );
    await jest.advanceTimersByTimeAsync(180_000);
    expect(calls).toEqual([0, 0, 0, 0]);
    expect(trimmer!.trims).toBe(4);
    expect(debug).toHaveLength(1);
    trimmer!.stop();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(4);
  });

  it('does not keep the process alive on its own (its timer is unref-ed)', () => {
    jest.useRealTimers();
    const { malloc } = fakeMalloc();
    const trimmer = MallocTrimmer.start({ everyMs: 60_000, malloc })!;
    try {
      expect(trimmer.keepsProcessAlive).toBe(false);
    } finally {
      trimmer.stop();
    }
  });

  it('starts nothing with a period of 0 (--malloc-trim 0)', async () => {
    const { malloc, calls } = fakeMalloc();
    expect(MallocTrimmer.start({ everyMs: 0, malloc })).toBeUndefined();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(calls).toEqual([]);
  });

  it('describes a trim that gave nothing back as returned 0', () => {
    expect(
      describeTrim({
        released: false,
        rssBefore: 100 * 1024 * 1024,
        rssAfter: 100 * 1024 * 1024,
        freeBefore: 0,
        freeAfter: 0,
        ms: 0.25,
      }),
    ).toBe(
      "malloc_trim(0) returned 0 in 0.3 ms: RSS 100.0 -> 100.0 MB; malloc's free chunks 0.0 MB before, 0.0 MB after (a trimmed free chunk stays counted, its pages are given back)",
    );
  });
});
