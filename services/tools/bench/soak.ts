/**
 * The memory soak of `npm run bench -- --soak MINUTES`: `totes start` (the `npm start` stack:
 * embedded PostgreSQL seeded at scale 1, the AWS stand-ins, the three handlers on the schedule, a
 * live simulate) on a fresh state folder with the simulator at `rate` events a second, for
 * `minutes`. memory-probe.ts, preloaded into that process, samples `process.memoryUsage()`; the
 * result is RSS and heap at the start, after the warm-up (the first full load of the seeded source)
 * and at the end, with the least-squares slope after the warm-up in MB per minute. Like `npm start`
 * (package.json), it runs with glibc's malloc capped at 2 arenas (MALLOC_ARENA_MAX, unless set).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOTES = fileURLToPath(new URL('../cli/bin/totes.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));

export interface MemorySample {
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** The resident part of the V8 heap (`v8.getHeapStatistics().total_physical_size`). */
  readonly heapPhysical?: number;
  /** Anonymous and file-backed resident bytes (/proc/self/smaps_rollup; Linux only). */
  readonly anonymous?: number;
  readonly fileBacked?: number;
  /** glibc malloc's `mallinfo2()` (glibc Linux only): held in arenas, mmapped, in use, free. */
  readonly mallocArena?: number;
  readonly mallocMmapped?: number;
  readonly mallocInUse?: number;
  readonly mallocFree?: number;
  /** Resident bytes of the `[heap]` mapping (the main malloc arena). */
  readonly mainArenaRss?: number;
}

export interface SoakPoint {
  readonly minute: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  /** RSS minus the resident V8 heap: native memory, Buffers, code and mapped files. */
  readonly outsideHeapMb?: number;
}

export interface SoakResult {
  readonly minutes: number;
  readonly rate: number;
  readonly warmupMinutes: number;
  readonly samples: number;
  readonly start: SoakPoint;
  readonly afterWarmup: SoakPoint;
  readonly end: SoakPoint;
  /** Least-squares slope over the samples after the warm-up. */
  readonly rssMbPerMinute: number;
  readonly heapMbPerMinute: number;
  /** Slope of RSS minus the resident V8 heap, when the probe measured it. */
  readonly outsideHeapMbPerMinute?: number;
  /** The most RSS outside the V8 heap after the warm-up: the bound, if it is one. */
  readonly peakOutsideHeapMb?: number;
  readonly peakRssMb: number;
  /** Size of the state folder's lake (s3/) at the end. */
  readonly lakeMb: number;
  /** MALLOC_ARENA_MAX of the soaked process, when the soak set it. */
  readonly mallocArenaMax?: string;
  /** `totes start --malloc-trim` of the soaked process (seconds; "0" = off). */
  readonly mallocTrimSeconds?: string;
  /** Slope of malloc's bytes in use (live native allocations), when the probe measured it. */
  readonly mallocInUseMbPerMinute?: number;
}

const MB = 1024 * 1024;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Slope of y over x (least squares); 0 with fewer than two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** The soak's figures from the probe's samples (pure; unit-tested). */
export function summariseSoak(
  samples: readonly MemorySample[],
  options: { minutes: number; rate: number; warmupMinutes: number; lakeBytes: number },
): SoakResult {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last) throw new Error('soak: the probe recorded no sample');
  const minuteOf = (s: MemorySample) => (s.at - first.at) / 60_000;
  const outsideHeap = (s: MemorySample) =>
    s.heapPhysical === undefined ? undefined : s.rss - s.heapPhysical;
  const point = (s: MemorySample): SoakPoint => {
    const outside = outsideHeap(s);
    return {
      minute: round(minuteOf(s), 2),
      rssMb: round(s.rss / MB),
      heapUsedMb: round(s.heapUsed / MB),
      ...(outside === undefined ? {} : { outsideHeapMb: round(outside / MB) }),
    };
  };
  const steady = samples.filter((s) => minuteOf(s) >= options.warmupMinutes);
  const measuredOutside = steady.every((s) => s.heapPhysical !== undefined);
  const afterWarmup = steady[0] ?? last;
  return {
    minutes: options.minutes,
    rate: options.rate,
    warmupMinutes: options.warmupMinutes,
    samples: samples.length,
    start: point(first),
    afterWarmup: point(afterWarmup),
    end: point(last),
    rssMbPerMinute: round(slope(steady.map((s) => ({ x: minuteOf(s), y: s.rss / MB }))), 2),
    heapMbPerMinute: round(slope(steady.map((s) => ({ x: minuteOf(s), y: s.heapUsed / MB }))), 2),
    ...(measuredOutside && steady.length > 0
      ? {
          outsideHeapMbPerMinute: round(
            slope(steady.map((s) => ({ x: minuteOf(s), y: outsideHeap(s)! / MB }))),
            2,
          ),
          peakOutsideHeapMb: round(Math.max(...steady.map((s) => outsideHeap(s)!)) / MB),
        }
      : {}),
    ...(steady.length > 0 && steady.every((s) => s.mallocInUse !== undefined)
      ? {
          mallocInUseMbPerMinute: round(
            slope(steady.map((s) => ({ x: minuteOf(s), y: s.mallocInUse! / MB }))),
            2,
          ),
        }
      : {}),
    peakRssMb: round(Math.max(...samples.map((s) => s.rss)) / MB),
    lakeMb: round(options.lakeBytes / MB),
  };
}

function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  return total;
}

export interface SoakOptions {
  readonly minutes: number;
  readonly rate: number;
  readonly warmupMinutes: number;
  readonly stateDir: string;
  readonly sampleSeconds?: number;
  /** Where to keep the probe's raw samples (JSON lines); by default they go with the state folder. */
  readonly samplesFile?: string;
  readonly progress?: (line: string) => void;
}

/** Runs `totes start` for `minutes` and returns its memory figures; the state folder is deleted. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  rmSync(options.stateDir, { recursive: true, force: true });
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const probeFile = path.join(options.stateDir, 'memory-probe.jsonl');
  const mallocArenaMax = process.env.MALLOC_ARENA_MAX ?? '2';
  const mallocTrimSeconds = process.env.TOTES_MALLOC_TRIM ?? '60';
  const stackDir = path.join(options.stateDir, 'state');
  const child = spawn(
    process.execPath,
    ['--import', PROBE, TOTES, 'start', '--state-dir', stackDir, '--simulate-rate', String(options.rate)],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        // As `npm start` runs it (package.json): glibc's malloc capped at 2 arenas.
        MALLOC_ARENA_MAX: mallocArenaMax,
        TOTES_MEMORY_PROBE_FILE: probeFile,
        TOTES_MEMORY_PROBE_MS: String((options.sampleSeconds ?? 10) * 1000),
      },
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    new Promise<'time'>((resolve) => {
      timer = setTimeout(() => resolve('time'), options.minutes * 60_000);
    }),
    exited.then(() => 'exited' as const),
  ]);
  // An early exit must not leave the bench waiting out the soak's timer.
  clearTimeout(timer);
  if (ended === 'exited') throw new Error('soak: `totes start` stopped before the end of the soak');
  const lakeBytes = folderBytes(path.join(stackDir, 'aws', 's3'));
  child.kill('SIGINT');
  await exited;
  const samples = readFileSync(probeFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MemorySample);
  if (options.samplesFile) copyFileSync(probeFile, options.samplesFile);
  // As root the embedded PostgreSQL's data lives outside the state folder (postgres-location.ts):
  // delete it with the folder, or every soak leaves a cluster in /var/tmp.
  const pointer = path.join(stackDir, 'postgres.location');
  const outsideData = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : '';
  if (/^\/var\/tmp\/totes-postgres-[0-9a-f]{16}$/.test(outsideData))
    rmSync(outsideData, { recursive: true, force: true });
  rmSync(options.stateDir, { recursive: true, force: true });
  return { ...summariseSoak(samples, { ...options, lakeBytes }), mallocArenaMax, mallocTrimSeconds };
}

const BEGIN = '<!-- soak:begin (npm run bench -- --soak MINUTES [--soak-only]) -->';
const END = '<!-- soak:end -->';

/** The soak's section of BENCHMARKS.md, between markers so a soak-only run can replace it alone. */
export function renderSoakSection(r: SoakResult, startedAt: string, loadAverage: readonly number[]): string {
  const row = (name: string, p: SoakPoint) =>
    `| ${name} | ${p.minute} | ${p.rssMb} | ${p.heapUsedMb} | ${p.outsideHeapMb ?? 'not measured'} |`;
  return [
    BEGIN,
    '## Memory over time: `npm start` soak',
    '',
    `\`totes start\` on a fresh state folder (scale 1 seed, then the simulator at ${r.rate} events/s) for ${r.minutes} min, ` +
      `run on ${startedAt} (load average ${loadAverage.map((l) => l.toFixed(2)).join(', ')}); ` +
      `\`process.memoryUsage()\` sampled in that process (services/tools/bench/memory-probe.ts), ${r.samples} samples. ` +
      `The warm-up (the first ${r.warmupMinutes} min: the full load of the seeded source) is left out of the slopes.`,
    '',
    '| point | minute | RSS MB | heap used MB | RSS outside the V8 heap MB |',
    '| --- | --- | --- | --- | --- |',
    row('start', r.start),
    row('after warm-up', r.afterWarmup),
    row('end', r.end),
    '',
    `- slope after the warm-up: RSS ${r.rssMbPerMinute} MB/min, heap ${r.heapMbPerMinute} MB/min` +
      `${r.outsideHeapMbPerMinute === undefined ? '' : `, RSS outside the V8 heap ${r.outsideHeapMbPerMinute} MB/min`}; peak RSS ${r.peakRssMb} MB` +
      `${r.peakOutsideHeapMb === undefined ? '' : `, peak RSS outside the V8 heap after the warm-up ${r.peakOutsideHeapMb} MB`}`,
    '- "RSS outside the V8 heap" = RSS minus the resident V8 heap (`v8.getHeapStatistics().total_physical_size`): native allocations, Buffers, code and mapped files; the embedded PostgreSQL is a separate process, in none of these figures',
    `- lake on disk at the end: ${r.lakeMb} MB`,
    ...(r.mallocArenaMax === undefined
      ? []
      : [`- glibc malloc: MALLOC_ARENA_MAX=${r.mallocArenaMax}, as \`npm start\` sets it`]),
    ...(r.mallocTrimSeconds === undefined
      ? []
      : [
          r.mallocTrimSeconds === '0'
            ? '- `malloc_trim(0)` off (`TOTES_MALLOC_TRIM=0`)'
            : `- \`malloc_trim(0)\` every ${r.mallocTrimSeconds} s (\`totes start --malloc-trim\`, the default 60)`,
        ]),
    ...(r.mallocInUseMbPerMinute === undefined
      ? []
      : [
          `- glibc malloc's bytes in use (\`mallinfo2()\`: live native allocations) ${r.mallocInUseMbPerMinute} MB/min after the warm-up`,
        ]),
    END,
  ].join('\n');
}

/** The soak section of an existing BENCHMARKS.md, if it has one. */
export function extractSoakSection(markdown: string): string | undefined {
  const from = markdown.indexOf(BEGIN);
  const to = markdown.indexOf(END);
  return from >= 0 && to > from ? markdown.slice(from, to + END.length) : undefined;
}

/** Replaces the soak section (or appends it). */
export function replaceSoakSection(markdown: string, section: string): string {
  const current = extractSoakSection(markdown);
  if (current) return markdown.replace(current, () => section);
  return `${markdown.trimEnd()}\n\n${section}\n`;
}
