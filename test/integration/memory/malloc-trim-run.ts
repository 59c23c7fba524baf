/**
 * Child of malloc-trim.test.ts (started with --expose-gc). `trim`: allocates ~90 MB of native
 * memory in small blocks (Buffers: malloc, outside the V8 heap), frees it (GC), then calls
 * malloc_trim(0) and prints the RSS before and after. `musl`: asks for glibc's malloc on a platform
 * without glibc and prints whether the FFI (koffi) was loaded anyway.
 */
import { createRequire } from 'node:module';
import { loadGlibcMalloc } from '../../../services/tools/local-runtime/native-memory/glibc-malloc.ts';

const mode = process.argv[2];
if (mode === 'musl') {
  const malloc = loadGlibcMalloc({ platform: 'linux', glibcVersionRuntime: undefined });
  const cache = createRequire(import.meta.url).cache;
  const koffiLoaded = Object.keys(cache).some((file) => file.includes(`${'/node_modules/'}koffi`));
  process.stdout.write(JSON.stringify({ malloc: malloc === undefined ? 'none' : 'loaded', koffiLoaded }));
} else {
  const malloc = loadGlibcMalloc();
  if (!malloc) throw new Error('no glibc malloc on this platform');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  let blocks: Buffer[] = [];
  for (let i = 0; i < 30_000; i++) blocks.push(Buffer.alloc(3_000, i & 0xff));
  const inUseHeld = malloc.info().inUse;
  blocks = [];
  gc();
  gc();
  // Let the ArrayBuffer backing stores be freed (their release can follow the GC).
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const before = process.memoryUsage.rss();
  const freeBefore = malloc.info().free;
  const released = malloc.trim(0);
  const after = process.memoryUsage.rss();
  process.stdout.write(
    JSON.stringify({ inUseHeld, freeBefore, released, before, after, blocks: blocks.length }),
  );
}
