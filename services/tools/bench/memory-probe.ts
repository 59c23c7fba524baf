/**
 * Preloaded (`node --import`) into the `totes start` process of the soak (soak.ts): every
 * TOTES_MEMORY_PROBE_MS it appends one JSON line of `process.memoryUsage()` to the file named by
 * TOTES_MEMORY_PROBE_FILE, so the soak sees the heap, not only the RSS visible from outside.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.TOTES_MEMORY_PROBE_FILE;
const everyMs = Number(process.env.TOTES_MEMORY_PROBE_MS ?? 10_000);

if (file) {
  const sample = () => {
    const m = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`,
      { mode: 0o600 },
    );
  };
  sample();
  // Never keeps the process alive on its own.
  setInterval(sample, everyMs).unref();
}
