/**
 * The benchmark at one scale, in its own process (so the whole local runtime's peak RSS is this
 * process's, and every scale starts from fresh module state):
 *
 *   node services/tools/bench/scale-run.ts '{"scale":10,"stateDir":"/tmp/x","incrementalRuns":20}'
 *
 * 1. an embedded PostgreSQL in `stateDir`, a fresh source seeded at `scale` (in a probe process;
 *    not part of any measured time);
 * 2. the COPY baseline: every source table COPY'd out of the source and into an empty copy of
 *    itself (same DDL, keys and foreign keys) in another database of the same server, repeated
 *    up to `copyRuns` times (each into a fresh database) while within `copyBudgetSeconds`;
 * 3. the full load through the whole local pipeline (LocalStack + runOnce), checked against the
 *    source's row counts; repeated like the COPY baseline, each repetition into an empty
 *    warehouse from a fresh process (probe.ts `full-load`), up to `pipelineRuns` times while
 *    within `pipelineBudgetSeconds`; COPY runs and full loads alternate;
 * 4. each stage alone in its own process on the same data (extract → transform → load into an
 *    empty warehouse), and DuckDB on the same JSON unit; the transform and DuckDB, the two sides
 *    of one ratio, repeated in alternation up to `probeRuns` times while within
 *    `probeBudgetSeconds` (each transform into a fresh processed bucket);
 * 5. `incrementalRuns` incremental cycles of a typical 5-minute change set.
 *
 * Progress goes to stderr; the result is one `BENCH_RESULT {...}` line on stdout.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { SOURCE_TABLES_IN_DEPENDENCY_ORDER, sourceDdlStatements } from '../../../shared/schema/totesys.ts';
import { stateTableInput } from '../local-runtime/aws/create-resources.ts';
import { LOCAL_CREDENTIALS } from '../local-runtime/aws/index.ts';
import { dropDatabase, startEmbeddedPostgres } from '../local-runtime/embedded-postgres.ts';
import { type RunSummary, runOnce } from '../local-runtime/run-once.ts';
import { LocalStack } from '../local-runtime/stack.ts';
import { ledgerRows, waitForLedgerRow } from './ledger-clock.ts';
import { probeFlags } from './node-flags.ts';
import { FULL_LOAD_STACK, RESULT_MARK } from './probe.ts';

export interface ScaleRunArgs {
  readonly scale: number;
  readonly stateDir: string;
  readonly incrementalRuns: number;
  /** Business events per incremental cycle (the real rate: about 35 per 5 minutes). */
  readonly eventsPerCycle?: number;
  /** Repetitions of the COPY baseline, each into a fresh database (default 3); the median counts. */
  readonly copyRuns?: number;
  /**
   * No further repetition starts once the COPY runs have taken this long (default 120 s): at
   * scale 100 one run takes minutes, and three would take a third of the whole benchmark.
   */
  readonly copyBudgetSeconds?: number;
  /**
   * Full loads through the pipeline (default 3), the first in this process (its stack serves the
   * stage probes and incremental cycles after it), each other one from a fresh process into an
   * empty warehouse; the median counts. One run varies by ±15% at scale 1, as COPY's does.
   */
  readonly pipelineRuns?: number;
  /** No further full load starts once the full loads have taken this long (default 120 s). */
  readonly pipelineBudgetSeconds?: number;
  /**
   * Runs of the transform and DuckDB probes, alternating (default 3); each side's median counts.
   * One run of either varies by ±20% at scale 1, which was enough to flip the ratio's verdict.
   */
  readonly probeRuns?: number;
  /**
   * No further transform/DuckDB pair starts once the pairs have taken this long (default 30 s):
   * three pairs at scales 1 and 10, one at scale 100 (46 s a pair).
   */
  readonly probeBudgetSeconds?: number;
}

export interface ProbeResult {
  readonly seconds: number;
  readonly maxRssMb: number;
  /** For a repeated probe: every run's seconds, in run order (`seconds` is their median). */
  readonly runsSeconds?: readonly number[];
  readonly [key: string]: unknown;
}

export interface ScaleResult {
  readonly scale: number;
  readonly sourceRows: number;
  readonly seedSeconds: number;
  readonly postgresVersion: string;
  /** The COPY baseline: `seconds` is the median of `runsSeconds` (one per repetition). */
  readonly copy: {
    readonly seconds: number;
    readonly rowsPerSecond: number;
    readonly runsSeconds: readonly number[];
  };
  /** The full load: `seconds` and the busy seconds are the median run's (`runsSeconds`: every run). */
  readonly pipeline: {
    readonly seconds: number;
    readonly rowsPerSecond: number;
    readonly runsSeconds: readonly number[];
    readonly stageBusySeconds: {
      readonly extract: number;
      readonly transform: number;
      readonly load: number;
    };
    readonly factsVerified: boolean;
    readonly failedRecords: number;
  };
  readonly ratioPipelineToCopy: number;
  readonly stages: {
    readonly extract: ProbeResult;
    readonly transform: ProbeResult;
    readonly load: ProbeResult;
  };
  readonly duckdb: ProbeResult;
  readonly ratioTransformToDuckdb: number;
  readonly incremental?: {
    readonly runs: number;
    readonly eventsPerCycle: number;
    readonly changedRowsMedian: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
    readonly maxMs: number;
    readonly samplesMs: readonly number[];
  };
  readonly runtimeMaxRssMb: number;
  /** Wall time of this whole scale process: seed, COPY runs, full load, probes, incremental. */
  readonly wallSeconds: number;
}

const PROBE = new URL('./probe.ts', import.meta.url);
const COUNT = sql.type(z.object({ count: z.number().int() }));
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/**
 * Runs a probe in a fresh Node (the same binary as this one) and returns its result line. Never
 * synchronously: the AWS stand-ins serve from this process's event loop.
 */
export async function runProbe(kind: string, args: Record<string, unknown>): Promise<ProbeResult> {
  // BENCH_CPU_PROF=<dir>: each probe writes a V8 CPU profile there (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${kind}.cpuprofile`]
    : [];
  // A stage runs with its Lambda's heap (node-flags.ts): old space capped below 80% of 512 MB.
  const child = promisify(execFile)(
    process.execPath,
    [...probeFlags(kind), ...profile, PROBE.pathname, kind, JSON.stringify(args)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_DEV: 'false' },
    },
  );
  const { stdout, stderr } = await child;
  if (stderr.trim()) process.stderr.write(stderr);
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (!line) throw new Error(`probe ${kind} printed no result`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as ProbeResult;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

/** COPY of every source table out of `sourceUrl` and into an empty copy of it at `targetUrl`. */
async function copyBaseline(
  sourceUrl: string,
  targetUrl: string,
): Promise<{ seconds: number; rows: number }> {
  const target = new pg.Client({ connectionString: targetUrl });
  const source = new pg.Client({ connectionString: sourceUrl });
  await Promise.all([target.connect(), source.connect()]);
  try {
    for (const statement of sourceDdlStatements()) await target.query(statement.sql);
    const t0 = performance.now();
    let rows = 0;
    for (const table of SOURCE_TABLES_IN_DEPENDENCY_ORDER) {
      const name = source.escapeIdentifier(table);
      const out = source.query(copyTo(`COPY ${name} TO STDOUT`));
      const into = target.query(copyFrom(`COPY ${name} FROM STDIN`));
      await pipeline(out, into);
      rows += Number(into.rowCount ?? 0);
    }
    return { seconds: (performance.now() - t0) / 1000, rows };
  } finally {
    await Promise.all([target.end(), source.end()]);
  }
}

async function createBuckets(stack: LocalStack, buckets: readonly string[]): Promise<void> {
  const s3 = new S3Client({
    region: stack.aws.region,
    endpoint: stack.aws.endpoints.s3,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    for (const bucket of buckets) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    s3.destroy();
  }
}

async function createBenchResources(stack: LocalStack): Promise<void> {
  await createBuckets(stack, ['bench-ingestion', 'bench-processed']);
  const dynamo = new DynamoDBClient({
    region: stack.aws.region,
    endpoint: stack.aws.endpoints.dynamodb,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await dynamo.send(
      new CreateTableCommand(stateTableInput({ name: 'bench-state', partitionKey: 'pk', sortKey: 'sk' })),
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // dynalite: CREATING → ACTIVE
  } finally {
    dynamo.destroy();
  }
}

/** The median of a list (the lower middle of an even one: a figure that was measured). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

/**
 * One figure for a repeated probe: the median run (its seconds and its other fields), every run's
 * seconds, and the largest peak RSS of any run (the memory bound must hold for every run).
 */
/** The run whose seconds are the median (the lower middle of an even number: a run that happened). */
function middleRun<T>(runs: readonly T[], secondsOf: (run: T) => number, what: string): T {
  const seconds = median(runs.map(secondsOf));
  const middle = runs.find((r) => secondsOf(r) === seconds);
  if (!middle) throw new Error(`${what}: no runs`);
  return middle;
}

export function medianRun(runs: readonly ProbeResult[]): ProbeResult {
  const middle = middleRun(runs, (r) => r.seconds, 'medianRun');
  return {
    ...middle,
    maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)),
    runsSeconds: runs.map((r) => round(r.seconds)),
  };
}

export async function runScale(args: ScaleRunArgs): Promise<ScaleResult> {
  const wall0 = performance.now();
  const { scale, stateDir } = args;
  const copyRuns = args.copyRuns ?? 3;
  const copyBudgetSeconds = args.copyBudgetSeconds ?? 120;
  const pipelineRuns = args.pipelineRuns ?? 3;
  const pipelineBudgetSeconds = args.pipelineBudgetSeconds ?? 120;
  const probeRuns = args.probeRuns ?? 3;
  const probeBudgetSeconds = args.probeBudgetSeconds ?? 30;
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const server = await startEmbeddedPostgres(path.join(stateDir, 'postgres'));
  // An interrupted benchmark must not leave its PostgreSQL running.
  const interrupted = () => void server.stop().finally(() => process.exit(130));
  process.once('SIGTERM', interrupted).once('SIGINT', interrupted);
  let stack: LocalStack | undefined;
  try {
    const sourceUrl = await server.ensureDatabase('totesys');
    const warehouseUrl = await server.ensureDatabase('warehouse');
    const stageLoadUrl = await server.ensureDatabase('stage_load');

    progress(`scale ${scale}: seeding`);
    const seeded = await runProbe('seed', { sourceUrl, scale, seed: 1 });
    const counts = seeded.counts as Record<string, number>;
    const sourceRows = Object.values(counts).reduce((a, b) => a + b, 0);

    const meta = await createDatabasePool(sourceUrl, { applicationName: 'totes-bench' });
    let postgresVersion: string;
    try {
      await meta.query(sql.unsafe`VACUUM ANALYZE`);
      postgresVersion =
        await meta.oneFirst(sql.type(z.object({ server_version: z.string() }))`SHOW server_version`);
    } finally {
      await meta.end();
    }

    // The COPY baseline and the full load are each repeated (one run of either varies by ±15% or
    // more), and alternate: COPY 1, full load 1, COPY 2, full load 2, … so that a slower spell of
    // the machine falls on both sides of the ratio instead of on one side's every run.
    const copySeconds: number[] = [];
    const copySpent = () => copySeconds.reduce((a, b) => a + b, 0);
    const copyOnce = async (run: number) => {
      progress(`scale ${scale}: COPY baseline ${run}/${copyRuns} (${sourceRows} rows)`);
      const target = `copy_target_${run}`;
      const copy = await copyBaseline(sourceUrl, await server.ensureDatabase(target));
      await dropDatabase(server.url, target);
      if (copy.rows !== sourceRows)
        throw new Error(`COPY moved ${copy.rows} rows, the source has ${sourceRows}`);
      copySeconds.push(copy.seconds);
    };
    await copyOnce(1);

    progress(`scale ${scale}: full load 1/${pipelineRuns} through the local pipeline`);
    stack = await LocalStack.start({
      stateDir: path.join(stateDir, 'stack'),
      sourceUrl,
      warehouseUrl,
      timeouts: FULL_LOAD_STACK.timeouts,
      retryDelaySeconds: FULL_LOAD_STACK.retryDelaySeconds,
    });
    const firstLoad = await runOnce(stack, { drainTimeoutMs: FULL_LOAD_STACK.drainTimeoutMs });
    await checkFullLoad(warehouseUrl, counts, firstLoad, () => JSON.stringify(stack?.counters));
    const fullLoads = [firstLoad];
    const loadsSpent = () => fullLoads.reduce((sum, f) => sum + f.seconds.total, 0);
    const fullLoadOnce = async (run: number) => {
      progress(`scale ${scale}: full load ${run}/${pipelineRuns}, fresh process, empty warehouse`);
      const database = `pipeline_run_${run}`;
      const runWarehouseUrl = await server.ensureDatabase(database);
      const runState = path.join(stateDir, `pipeline-run-${run}`);
      const repeated = await runProbe('full-load', {
        sourceUrl,
        warehouseUrl: runWarehouseUrl,
        stateDir: runState,
      });
      const summary = repeated.summary as RunSummary;
      await checkFullLoad(runWarehouseUrl, counts, summary, () => `full load ${run}`);
      fullLoads.push(summary);
      await dropDatabase(server.url, database);
      rmSync(runState, { recursive: true, force: true });
    };
    // This process's stack idles until the stage probes: its queue pollers stop meanwhile, so
    // that they do not run beside the COPY runs.
    await stack.stopConsumers();
    for (let run = 2; run <= Math.max(copyRuns, pipelineRuns); run++) {
      if (run <= copyRuns && copySpent() < copyBudgetSeconds) await copyOnce(run);
      if (run <= pipelineRuns && loadsSpent() < pipelineBudgetSeconds) await fullLoadOnce(run);
    }
    stack.startConsumers();
    const copy = { seconds: median(copySeconds) };
    const full = medianLoad(fullLoads);
    const warehouse = await createDatabasePool(warehouseUrl, { applicationName: 'totes-bench' });
    let incremental: ScaleResult['incremental'];
    try {
      progress(`scale ${scale}: each stage alone (own process)`);
      await createBenchResources(stack);
      const extract = await runProbe('extract', {
        sourceUrl,
        bucket: 'bench-ingestion',
        stateTable: 'bench-state',
      });
      const units = extract.units as { runId: string; manifestKey: string }[];
      const unit = { bucket: 'bench-ingestion', manifestKeys: units.map((u) => u.manifestKey) };
      const transforms = [await runProbe('transform', { ...unit, processedBucket: 'bench-processed' })];
      const load = await runProbe('load', {
        processedBucket: 'bench-processed',
        runIds: units.map((u) => u.runId),
        warehouseUrl: stageLoadUrl,
      });
      const duckdbRuns: ProbeResult[] = [];
      const pairsSpent = () => [...transforms, ...duckdbRuns].reduce((sum, r) => sum + r.seconds, 0);
      for (let run = 1; run <= probeRuns && (run === 1 || pairsSpent() < probeBudgetSeconds); run++) {
        if (run > 1) {
          progress(`scale ${scale}: transform and DuckDB, run ${run}/${probeRuns}`);
          // A transform finds its unit's processed manifest and writes nothing: each run a new bucket.
          const processedBucket = `bench-processed-${run}`;
          await createBuckets(stack, [processedBucket]);
          transforms.push(await runProbe('transform', { ...unit, processedBucket }));
        }
        duckdbRuns.push(await runProbe('duckdb', { ...unit, dir: path.join(stateDir, 'duckdb') }));
        rmSync(path.join(stateDir, 'duckdb'), { recursive: true, force: true });
      }
      const transform = medianRun(transforms);
      const duckdb = medianRun(duckdbRuns);

      if (args.incrementalRuns > 0) {
        progress(`scale ${scale}: ${args.incrementalRuns} incremental cycles`);
        incremental = await incrementalCycles(stack, sourceUrl, warehouse, args);
      }

      return {
        scale,
        sourceRows,
        seedSeconds: round(seeded.seconds),
        postgresVersion,
        copy: {
          seconds: round(copy.seconds),
          rowsPerSecond: Math.round(sourceRows / copy.seconds),
          runsSeconds: copySeconds.map(round),
        },
        pipeline: {
          seconds: full.seconds.total,
          rowsPerSecond: Math.round(sourceRows / full.seconds.total),
          runsSeconds: fullLoads.map((f) => f.seconds.total),
          stageBusySeconds: {
            extract: full.seconds.extract,
            transform: full.seconds.transform,
            load: full.seconds.load,
          },
          // Every full load counted passed checkFullLoad (it throws otherwise).
          factsVerified: true,
          failedRecords: full.failed,
        },
        ratioPipelineToCopy: round(full.seconds.total / copy.seconds),
        stages: {
          extract: rounded({ ...extract, units: units.length }),
          transform: rounded(transform),
          load: rounded(load),
        },
        duckdb: rounded(duckdb),
        ratioTransformToDuckdb: round(transform.seconds / duckdb.seconds),
        ...(incremental ? { incremental } : {}),
        runtimeMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        wallSeconds: round((performance.now() - wall0) / 1000),
      };
    } finally {
      await warehouse.end();
    }
  } finally {
    await stack?.stop();
    await server.stop();
  }
}

/**
 * Fails the benchmark unless a full load extracted, failed nothing, and left the warehouse with
 * every source sale and payment as a fact row.
 */
async function checkFullLoad(
  warehouseUrl: string,
  counts: Record<string, number>,
  full: RunSummary,
  describe: () => string,
): Promise<void> {
  const warehouse = await createDatabasePool(warehouseUrl, { applicationName: 'totes-bench' });
  try {
    const facts = await warehouse.oneFirst(COUNT`SELECT count(*) FROM "fact_sales_order"`);
    const payments = await warehouse.oneFirst(COUNT`SELECT count(*) FROM "fact_payment"`);
    const verified = facts === counts.sales_order && payments === counts.payment;
    if (full.status !== 'extracted' || full.failed > 0 || !verified) {
      throw new Error(
        `full load incomplete: status ${full.status}, failed ${full.failed}, fact_sales_order ${facts}/${counts.sales_order}, fact_payment ${payments}/${counts.payment}; ${describe()}`,
      );
    }
  } finally {
    await warehouse.end();
  }
}

/** The median full load, busy seconds and all. */
export function medianLoad(loads: readonly RunSummary[]): RunSummary {
  return middleRun(loads, (l) => l.seconds.total, 'medianLoad');
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const rounded = (p: ProbeResult): ProbeResult => ({ ...p, seconds: round(p.seconds) });

/**
 * Each cycle: a typical 5-minute change set is written to the source (simulateEvents: about 35
 * business events, 85% new sales or purchases with their transaction and payment, the rest
 * updates), then the clock starts, the extract fires, and the clock stops when the load ledger
 * shows the unit committed (polled every 5 ms on the warehouse). One warm-up cycle is not counted.
 */
async function incrementalCycles(
  stack: LocalStack,
  sourceUrl: string,
  warehouse: Awaited<ReturnType<typeof createDatabasePool>>,
  args: ScaleRunArgs,
): Promise<NonNullable<ScaleResult['incremental']>> {
  const { simulateEvents } = await import('../simulator/simulate.ts');
  const source = await createDatabasePool(sourceUrl, { applicationName: 'totes-bench-simulate' });
  const eventsPerCycle = args.eventsPerCycle ?? 35;
  const samples: number[] = [];
  const changed: number[] = [];
  try {
    for (let cycle = 0; cycle <= args.incrementalRuns; cycle++) {
      await simulateEvents(source, { events: eventsPerCycle, seed: 7000 + cycle });
      const before = await ledgerRows(warehouse);
      const t0 = performance.now();
      const firing = stack.schedule.fire();
      // One connection polls every 5 ms until the ledger's new row (ledger-clock.ts).
      const committedMs =
        (await waitForLedgerRow(warehouse, before, 120_000).catch((error: unknown) => {
          throw new Error(`incremental cycle: ${(error as Error).message}`);
        })) - t0;
      const outcome = await firing;
      await stack.waitUntilDrained(120_000);
      const result = outcome.ok ? (outcome.result as { status?: string; changedRows?: number }) : undefined;
      if (result?.status !== 'extracted') throw new Error(`incremental cycle: extract ${result?.status}`);
      if (cycle === 0) continue; // warm-up
      samples.push(committedMs);
      changed.push(result.changedRows ?? 0);
    }
  } finally {
    await source.end();
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const sortedChanged = [...changed].sort((a, b) => a - b);
  return {
    runs: samples.length,
    eventsPerCycle,
    changedRowsMedian: percentile(sortedChanged, 50),
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    maxMs: Math.round(sorted.at(-1) ?? Number.NaN),
    samplesMs: samples.map((s) => Math.round(s)),
  };
}

if (import.meta.main) {
  const args = JSON.parse(process.argv[2] ?? '{}') as ScaleRunArgs;
  const result = await runScale(args);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}
