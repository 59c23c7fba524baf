/**
 * Preloaded (`node --import`) into the `totes start` process of the soak (soak.ts): every
 * TOTES_MEMORY_PROBE_MS it appends one JSON line of `process.memoryUsage()` to the file named by
 * TOTES_MEMORY_PROBE_FILE, so the soak sees the heap, not only the RSS visible from outside. On
 * Linux each line also carries the anonymous and file-backed parts of the RSS
 * (/proc/self/smaps_rollup): growth outside the V8 heap and outside Buffers is anonymous memory
 * (malloc) when it is native allocations, file-backed when it is mapped code or files. `heapPhysical`
 * is the resident part of the V8 heap (`heapTotal` is what V8 reserved, partly not resident):
 * RSS minus it is what the process holds outside the V8 heap. On glibc Linux each line also has
 * glibc malloc's own account (`mallinfo2()`: held, in use, free) and the resident size of the
 * main arena's `[heap]` mapping, which tell live native allocations from freed memory malloc keeps.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { loadGlibcMalloc } from '../local-runtime/native-memory/glibc-malloc.ts';

const file = process.env.TOTES_MEMORY_PROBE_FILE;
const everyMs = Number(process.env.TOTES_MEMORY_PROBE_MS ?? 10_000);

/** Anonymous and file-backed resident bytes, or nothing where /proc has no smaps_rollup. */
export function residentParts(rollup: string): { anonymous: number; fileBacked: number } | undefined {
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(rollup);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rss = kb('Rss');
  const anonymous = kb('Anonymous');
  if (rss === undefined || anonymous === undefined) return undefined;
  return { anonymous, fileBacked: rss - anonymous };
}

/** Resident bytes of the `[heap]` mapping (glibc's main arena) in /proc/self/smaps. */
export function mainArenaResident(smaps: string): number | undefined {
  const at = smaps.search(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+\[heap\]$/m);
  if (at < 0) return undefined;
  const match = /^Rss:\s+(\d+) kB$/m.exec(smaps.slice(at));
  return match ? Number(match[1]) * 1024 : undefined;
}

function readMallocParts() {
  const malloc = loadGlibcMalloc();
  if (!malloc) return undefined;
  const info = malloc.info();
  let heapMapping: number | undefined;
  try {
    heapMapping = mainArenaResident(readFileSync('/proc/self/smaps', 'utf8'));
  } catch {}
  return {
    mallocArena: info.arena,
    mallocMmapped: info.mmapped,
    mallocInUse: info.inUse,
    mallocFree: info.free,
    ...(heapMapping === undefined ? {} : { mainArenaRss: heapMapping }),
  };
}

function readResidentParts() {
  try {
    return residentParts(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  } catch {
    return undefined;
  }
}

if (file) {
  const sample = () => {
    const m = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, heapPhysical: getHeapStatistics().total_physical_size, ...readResidentParts(), ...readMallocParts() })}\n`,
      { mode: 0o600 },
    );
  };
  sample();
  // Never keeps the process alive on its own.
  setInterval(sample, everyMs).unref();
}
