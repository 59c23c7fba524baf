/**
 * The benchmark's targets (issue 18's goals) checked against one run's figures. Pure: the result
 * objects in, one row per target out, each met, missed (by how much) or not measured (its scale
 * was not in the run), so the table in BENCHMARKS.md never hides a target the run did not reach.
 */
import type { ConsoleResult } from './console-run.ts';
import type { ScaleResult } from './scale-run.ts';

export interface BundleFigures {
  readonly stage: string;
  readonly bundleBytes: number;
}

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  /** How far a missed target is from its limit, in percent of the limit. */
  readonly overPercent?: number;
  /** The run did not measure it (its scale was not run): neither met nor missed. */
  readonly notMeasured?: boolean;
}

export const LIMITS = {
  /** Full load / COPY baseline, per scale (issue 18 goal 1). */
  pipelineToCopy: { 1: 3, 10: 2 },
  /** Transform alone / DuckDB on the same unit, per scale (goal 2). */
  transformToDuckdb: { 1: 3, 10: 2 },
  /** Incremental latency p95 at scale 1 (goal 5). */
  incrementalP95Ms: 500,
  /** Rows/s at scale 100 against scale 10 (goal 4). */
  throughputKept: { from: 10, to: 100, share: 0.9 },
  /** Peak RSS of one stage invocation against its Lambda memory (goal 3). */
  memoryShare: 0.8,
  bundleBytes: 1024 * 1024,
  consoleFirstPaintMs: 1000,
} as const;

/** Each Lambda's `memory` in MB, as infra-terraform/locals.tf sets it (a unit test compares). */
export const TERRAFORM_MEMORY_MB = { extract: 512, transform: 1024, load: 512 } as const;

export type Stage = keyof typeof TERRAFORM_MEMORY_MB;
export const STAGES: readonly Stage[] = ['extract', 'transform', 'load'];

/** The RSS a stage's invocation must stay under: 80% of its Terraform memory (409.6 MB of 512). */
export const memoryLimitMb = (stage: Stage) => TERRAFORM_MEMORY_MB[stage] * LIMITS.memoryShare;

const fmt = (n: number, digits = 2) =>
  Number.isFinite(n) ? n.toLocaleString('en-GB', { maximumFractionDigits: digits }) : 'n/a';

/** How far over, in percent: whole percents, one decimal under 1% (a miss never reads "by 0%"). */
const percent = (part: number, whole: number) => {
  const over = (part / whole) * 100;
  return over < 1 ? Math.round(over * 10) / 10 : Math.round(over);
};

/** A ceiling: met at or below `limit`. */
function atMost(name: string, target: string, measured: string, value: number, limit: number): TargetCheck {
  return value <= limit
    ? { name, target, measured, met: true }
    : { name, target, measured, met: false, overPercent: percent(value - limit, limit) };
}

const notMeasured = (name: string, target: string, why: string): TargetCheck => ({
  name,
  target,
  measured: why,
  met: false,
  notMeasured: true,
});

function ratioTargets(
  scales: readonly ScaleResult[],
  limits: Readonly<Record<number, number>>,
  label: string,
  ratio: (s: ScaleResult) => number,
): TargetCheck[] {
  return Object.entries(limits).map(([scaleText, limit]) => {
    const at = Number(scaleText);
    const name = `${label} (scale ${at})`;
    const target = `≤ ${limit}×`;
    const s = scales.find((r) => r.scale === at);
    if (!s) return notMeasured(name, target, `scale ${at} not run`);
    return atMost(name, target, `${fmt(ratio(s))}×`, ratio(s), limit);
  });
}

/** Rows/s at scale 100 against scale 10: met at 90% or more. */
function throughputTarget(scales: readonly ScaleResult[]): TargetCheck {
  const { from, to, share } = LIMITS.throughputKept;
  const name = `pipeline rows/s at scale ${to} against scale ${from}`;
  const target = `≥ ${share * 100}%`;
  const base = scales.find((s) => s.scale === from);
  const large = scales.find((s) => s.scale === to);
  if (!base || !large) return notMeasured(name, target, `scales ${from} and ${to} not both run`);
  const kept = large.pipeline.rowsPerSecond / base.pipeline.rowsPerSecond;
  const measured = `${percent(large.pipeline.rowsPerSecond, base.pipeline.rowsPerSecond)}% (${fmt(large.pipeline.rowsPerSecond, 0)} vs ${fmt(base.pipeline.rowsPerSecond, 0)})`;
  return kept >= share
    ? { name, target, measured, met: true }
    : { name, target, measured, met: false, overPercent: percent(share - kept, share) };
}

/**
 * Every stage's peak RSS per invocation at one scale against 80% of its Terraform memory. The
 * probe runs every invocation of the stage at that scale one after the other in one process
 * (as one warm container would), so its peak RSS bounds each invocation's from above.
 */
export function memoryTarget(s: ScaleResult): TargetCheck {
  const name = `peak RSS of one invocation E / T / L (scale ${s.scale})`;
  const target = `< ${STAGES.map((stage) => Math.floor(memoryLimitMb(stage))).join(' / ')} MB`;
  const measured = `${STAGES.map((stage) => s.stages[stage].maxRssMb).join(' / ')} MB`;
  const worst = STAGES.map((stage) => ({
    stage,
    over: s.stages[stage].maxRssMb - memoryLimitMb(stage),
  })).sort((a, b) => b.over - a.over)[0] as { stage: Stage; over: number };
  return worst.over < 0
    ? { name, target, measured, met: true }
    : { name, target, measured, met: false, overPercent: percent(worst.over, memoryLimitMb(worst.stage)) };
}

/** Issue 18's goals, in the order the issue states them, then the bundles. */
export function checkTargets(
  scales: readonly ScaleResult[],
  bundles: readonly BundleFigures[],
): TargetCheck[] {
  const sorted = [...scales].sort((a, b) => a.scale - b.scale);
  const checks = [
    ...ratioTargets(sorted, LIMITS.pipelineToCopy, 'pipeline / COPY baseline', (s) => s.ratioPipelineToCopy),
    ...ratioTargets(sorted, LIMITS.transformToDuckdb, 'transform / DuckDB', (s) => s.ratioTransformToDuckdb),
    throughputTarget(sorted),
    ...sorted.map(memoryTarget),
  ];
  const withIncremental = sorted.find((s) => s.incremental);
  const p95Name = `incremental latency p95 (scale ${withIncremental?.scale ?? 1})`;
  const p95Target = `≤ ${LIMITS.incrementalP95Ms} ms`;
  checks.push(
    withIncremental?.incremental
      ? atMost(
          p95Name,
          p95Target,
          `${withIncremental.incremental.p95Ms} ms`,
          withIncremental.incremental.p95Ms,
          LIMITS.incrementalP95Ms,
        )
      : notMeasured(p95Name, p95Target, 'no incremental cycles run'),
  );
  for (const b of bundles) {
    checks.push(
      atMost(
        `${b.stage} bundle size`,
        '≤ 1 MB minified',
        `${fmt(b.bundleBytes / 1024, 0)} KB`,
        b.bundleBytes,
        LIMITS.bundleBytes,
      ),
    );
  }
  return checks;
}

/** The console's first paint of each page, median of the measured loads, against 1 s. */
export function consoleTargets(result: ConsoleResult | undefined): TargetCheck[] {
  return (result?.pages ?? []).map((p) =>
    atMost(
      `console first paint /${p.page} (scale ${result?.scale}, median of ${p.loads})`,
      `≤ ${LIMITS.consoleFirstPaintMs} ms`,
      `${p.firstPaintMedianMs} ms`,
      p.firstPaintMedianMs,
      LIMITS.consoleFirstPaintMs,
    ),
  );
}

/** The status cell: met, missed by N%, or not measured. */
export function targetStatus(t: TargetCheck, missed = 'missed'): string {
  if (t.notMeasured) return 'not measured';
  return t.met ? 'met' : `${missed} by ${t.overPercent}%`;
}
