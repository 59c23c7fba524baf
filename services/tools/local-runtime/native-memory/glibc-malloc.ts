/**
 * glibc's malloc, called through an FFI (koffi): `malloc_trim(0)` hands the memory malloc keeps
 * after it was freed back to the kernel, and `mallinfo2()` says how much it holds and how much of
 * that is in use. Node has no binding for either. Only on Linux with glibc: elsewhere (musl,
 * macOS, Windows) `loadGlibcMalloc` resolves to undefined and nothing is loaded. Local runtime
 * and benchmark only: the deployed Lambda bundles never import this file.
 */
import { createRequire } from 'node:module';

/** What decides whether glibc's malloc is there to call. */
export interface MallocPlatform {
  readonly platform: NodeJS.Platform;
  /** `process.report`'s `header.glibcVersionRuntime`: set only when the process runs on glibc. */
  readonly glibcVersionRuntime: string | undefined;
}

/** The running process's platform (reads `process.report` once; ~ms). */
export function currentMallocPlatform(): MallocPlatform {
  let glibcVersionRuntime: string | undefined;
  if (process.platform === 'linux') {
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: unknown } }).header;
    if (typeof header?.glibcVersionRuntime === 'string') glibcVersionRuntime = header.glibcVersionRuntime;
  }
  return { platform: process.platform, glibcVersionRuntime };
}

/** Whether glibc's malloc_trim and mallinfo2 (glibc 2.33+) can be called; pure. */
export function hasGlibcMalloc(p: MallocPlatform): boolean {
  if (p.platform !== 'linux' || p.glibcVersionRuntime === undefined) return false;
  const [major, minor] = p.glibcVersionRuntime.split('.').map(Number);
  if (!Number.isInteger(major) || !Number.isInteger(minor)) return false;
  return major! > 2 || (major === 2 && minor! >= 33);
}

/** `struct mallinfo2`, the fields this project reads (bytes). */
export interface MallocInfo {
  /** Non-mmapped memory malloc holds (main arena and thread arenas). */
  readonly arena: number;
  /** Memory in mmapped chunks (large allocations). */
  readonly mmapped: number;
  /** Bytes in use in allocated chunks. */
  readonly inUse: number;
  /** Bytes in free chunks malloc keeps. */
  readonly free: number;
  /** The top-most releasable chunk (what plain `free` could give back by trimming the top). */
  readonly releasable: number;
}

export interface GlibcMalloc {
  /** `malloc_trim(pad)`: true if memory was returned to the kernel. */
  trim(pad?: number): boolean;
  info(): MallocInfo;
}

interface Mallinfo2 {
  arena: number | bigint;
  hblkhd: number | bigint;
  uordblks: number | bigint;
  fordblks: number | bigint;
  keepcost: number | bigint;
}

let loaded: GlibcMalloc | undefined;

/** glibc's malloc, or undefined where the platform has none (nothing is loaded then). */
export function loadGlibcMalloc(platform: MallocPlatform = currentMallocPlatform()): GlibcMalloc | undefined {
  if (!hasGlibcMalloc(platform)) return undefined;
  loaded ??= bindGlibcMalloc();
  return loaded;
}

function bindGlibcMalloc(): GlibcMalloc {
  // koffi is loaded only here, only on glibc Linux (a CommonJS native addon: require, not import).
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const libc = koffi.load('libc.so.6');
  const malloc_trim = libc.func('int malloc_trim(size_t pad)') as (pad: number) => number;
  const mallinfo2Struct = koffi.struct({
    arena: 'size_t',
    ordblks: 'size_t',
    smblks: 'size_t',
    hblks: 'size_t',
    hblkhd: 'size_t',
    usmblks: 'size_t',
    fsmblks: 'size_t',
    uordblks: 'size_t',
    fordblks: 'size_t',
    keepcost: 'size_t',
  });
  const mallinfo2 = libc.func('mallinfo2', mallinfo2Struct, []) as () => Mallinfo2;
  return {
    trim: (pad = 0) => malloc_trim(pad) === 1,
    info: () => {
      const m = mallinfo2();
      return {
        arena: Number(m.arena),
        mmapped: Number(m.hblkhd),
        inUse: Number(m.uordblks),
        free: Number(m.fordblks),
        releasable: Number(m.keepcost),
      };
    },
  };
}
