/**
 * `npm run bench -- [--scale S ...] [--runs N] [--json]`: the pipeline's benchmark on the embedded
 * stack, in one run (see BENCHMARKS.md for the method and the last figures):
 *
 * - per scale (default 1 and 10; `--scale 1,10,100` for issue 18's full set, about 25 minutes on a
 *   quiet 2-core machine), in its own process (services/tools/bench/scale-run.ts): full-load
 *   throughput of the whole pipeline, the COPY baseline on the same data and server (repeated,
 *   median), each stage alone with its peak RSS, DuckDB on the same JSON unit (it and the
 *   transform repeated in alternation, medians), and (at the smallest scale) the
 *   incremental latency over `--runs` cycles;
 * - the Lambda bundles (`npm run build`'s code): size and cold module initialisation;
 * - opt-in, `--soak MINUTES`: `totes start` with the simulator at `--soak-rate` events a second for
 *   that long, RSS and heap at start and end and their slope (soak.ts); with `--soak-only` nothing
 *   else runs and only the soak section of BENCHMARKS.md is replaced.
 *
 * Prints a table, writes BENCHMARKS.md and docs/bench-throughput.svg; with --json the last line of
 * stdout is one JSON object holding every figure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildStage, STAGES } from '../cli/build.ts';
import type { ConsoleResult, ConsoleRunArgs } from './console-run.ts';
import { RUNTIME_SEMI_SPACE_MB } from './node-flags.ts';
import { RESULT_MARK } from './probe.ts';
import {
  type BenchResult,
  type BundleResult,
  type MachineInfo,
  renderConsole,
  renderMarkdown,
  renderSvg,
} from './report.ts';
import type { ScaleResult, ScaleRunArgs } from './scale-run.ts';
import {
  extractSoakSection,
  renderSoakSection,
  replaceSoakSection,
  runSoak,
  type SoakResult,
} from './soak.ts';
import { checkTargets, consoleTargets } from './targets.ts';

// The repository root (this file is services/tools/bench/main.ts).
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCALE_RUN = fileURLToPath(new URL('./scale-run.ts', import.meta.url));
const CONSOLE_RUN = fileURLToPath(new URL('./console-run.ts', import.meta.url));
const SVG_PATH = 'docs/bench-throughput.svg';
const COLD_INIT_REPEATS = 5;

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

function runScaleProcess(args: ScaleRunArgs): ScaleResult {
  // The full load runs in this process, the local runtime: V8's young generation as on Lambda.
  const flags = [`--max-semi-space-size=${RUNTIME_SEMI_SPACE_MB}`];
  const out = execFileSync(process.execPath, [...flags, SCALE_RUN, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (!line) throw new Error(`scale ${args.scale}: no result`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as ScaleResult;
}

function runConsoleProcess(args: ConsoleRunArgs): ConsoleResult {
  const out = execFileSync(process.execPath, [CONSOLE_RUN, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (!line) throw new Error('console: no result');
  return JSON.parse(line.slice(RESULT_MARK.length)) as ConsoleResult;
}

/** Imports a bundle in a fresh Node process: ms for import() alone and since process start. */
function coldInit(bundle: string): { importMs: number; sinceStartMs: number } {
  const script = [
    'const t0 = performance.now();',
    `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    "if (typeof m.handler !== 'function') throw new Error('no handler export');",
    'const t1 = performance.now();',
    'process.stdout.write(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1 }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'eu-west-2', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as { importMs: number; sinceStartMs: number };
}

async function bundles(): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const stage of STAGES) {
    const built = await buildStage(stage);
    const runs = Array.from({ length: COLD_INIT_REPEATS }, () => coldInit(built.bundle));
    results.push({
      stage,
      bundleBytes: built.bundleBytes,
      zipBytes: built.zipBytes,
      coldInitMs: Math.round(median(runs.map((r) => r.importMs))),
      processToReadyMs: Math.round(median(runs.map((r) => r.sinceStartMs))),
    });
  }
  return results;
}

function machine(postgres: string): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.versions.node,
    postgres,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** A repeated measurement's `--X-runs` and `--X-budget` values; undefined when either is invalid. */
function repetitions(
  runsText: string,
  budgetText: string,
): { runs: number; budgetSeconds: number } | undefined {
  const runs = Number(runsText);
  const budgetSeconds = Number(budgetText);
  const valid =
    Number.isSafeInteger(runs) && runs >= 1 && Number.isFinite(budgetSeconds) && budgetSeconds >= 0;
  return valid ? { runs, budgetSeconds } : undefined;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string', multiple: true },
      runs: { type: 'string', default: '20' },
      'copy-runs': { type: 'string', default: process.env.TOTES_BENCH_COPY_RUNS ?? '3' },
      'copy-budget': { type: 'string', default: process.env.TOTES_BENCH_COPY_BUDGET ?? '120' },
      'pipeline-runs': { type: 'string', default: process.env.TOTES_BENCH_PIPELINE_RUNS ?? '3' },
      'pipeline-budget': { type: 'string', default: process.env.TOTES_BENCH_PIPELINE_BUDGET ?? '120' },
      'probe-runs': { type: 'string', default: process.env.TOTES_BENCH_PROBE_RUNS ?? '3' },
      'probe-budget': { type: 'string', default: process.env.TOTES_BENCH_PROBE_BUDGET ?? '30' },
      json: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      soak: { type: 'string', default: process.env.TOTES_BENCH_SOAK ?? '0' },
      'soak-rate': { type: 'string', default: process.env.TOTES_BENCH_SOAK_RATE ?? '20' },
      'soak-only': { type: 'boolean', default: false },
      'soak-samples': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      [
        'usage: npm run bench -- [--scale S ...] [--runs N] [--json] [--no-write] [--state-dir DIR]',
        '  --scale S     scale(s) to measure (default 1 and 10; repeat or comma-separate)',
        '  --runs N      incremental cycles at the smallest scale (default 20)',
        '  --copy-runs N repetitions of the COPY baseline per scale, median reported (default 3; $TOTES_BENCH_COPY_RUNS)',
        "  --copy-budget S  no further COPY repetition once a scale's runs took S seconds (default 120; $TOTES_BENCH_COPY_BUDGET)",
        '  --pipeline-runs N   full loads through the pipeline per scale, each into an empty warehouse, median reported (default 3; $TOTES_BENCH_PIPELINE_RUNS)',
        "  --pipeline-budget S no further full load once a scale's full loads took S seconds (default 120; $TOTES_BENCH_PIPELINE_BUDGET)",
        '  --probe-runs N   runs of the transform and DuckDB probes per scale, alternating, medians reported (default 3; $TOTES_BENCH_PROBE_RUNS)',
        "  --probe-budget S no further transform/DuckDB pair once a scale's pairs took S seconds (default 30; $TOTES_BENCH_PROBE_BUDGET)",
        '  --json        end with one JSON line holding every figure',
        '  --no-write    do not write BENCHMARKS.md and docs/bench-throughput.svg',
        '  --state-dir   scratch folder (default: a folder under the OS temp dir, deleted at the end)',
        '  --soak M      also run `totes start` for M minutes and report RSS/heap over time (default 0 = off; $TOTES_BENCH_SOAK)',
        '  --soak-rate R simulated events a second during the soak (default 20; $TOTES_BENCH_SOAK_RATE)',
        '  --soak-only   run only the soak; replaces only the soak section of BENCHMARKS.md',
        "  --soak-samples FILE  keep the soak probe's raw samples (JSON lines) in FILE",
        '  --only console  only the web console first-paint probe, at the smallest --scale up to 1 (default 1); writes nothing',
      ].join('\n'),
    );
    return 0;
  }
  if (values.only !== undefined && values.only !== 'console') {
    console.error('bench: --only takes "console"');
    return 2;
  }
  const scales = (values.scale ?? (values.only ? ['1'] : ['1', '10']))
    .flatMap((s) => s.split(','))
    .map(Number)
    .sort((a, b) => a - b);
  if (scales.length === 0 || scales.some((s) => !Number.isFinite(s) || s <= 0)) {
    console.error('bench: --scale takes positive numbers');
    return 2;
  }
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 0) {
    console.error('bench: --runs takes a non-negative integer');
    return 2;
  }
  const copy = repetitions(values['copy-runs'], values['copy-budget']);
  const pipeline = repetitions(values['pipeline-runs'], values['pipeline-budget']);
  const probe = repetitions(values['probe-runs'], values['probe-budget']);
  const invalid = !copy ? 'copy' : !pipeline ? 'pipeline' : !probe ? 'probe' : undefined;
  if (!copy || !pipeline || !probe) {
    console.error(
      `bench: --${invalid}-runs takes a positive integer, --${invalid}-budget seconds (0 or more)`,
    );
    return 2;
  }
  const soakMinutes = Number(values.soak);
  const soakRate = Number(values['soak-rate']);
  if (!Number.isFinite(soakMinutes) || soakMinutes < 0 || !Number.isFinite(soakRate) || soakRate <= 0) {
    console.error('bench: --soak takes minutes (0 = off), --soak-rate a positive number of events a second');
    return 2;
  }
  if (values['soak-only'] && soakMinutes === 0) {
    console.error('bench: --soak-only needs --soak MINUTES');
    return 2;
  }
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const load = os.loadavg();
  const scratch = values['state-dir'] ?? path.join(os.tmpdir(), `totes-bench-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const soak = async (): Promise<SoakResult | undefined> => {
    if (soakMinutes === 0) return undefined;
    progress(`soak: totes start at ${soakRate} events/s for ${soakMinutes} min`);
    const result = await runSoak({
      minutes: soakMinutes,
      rate: soakRate,
      warmupMinutes: Math.min(2, soakMinutes / 2),
      stateDir: path.join(scratch, 'soak'),
      ...(values['soak-samples'] ? { samplesFile: path.resolve(values['soak-samples']) } : {}),
    });
    progress(
      `soak: RSS ${result.afterWarmup.rssMb} -> ${result.end.rssMb} MB (${result.rssMbPerMinute} MB/min), heap ${result.afterWarmup.heapUsedMb} -> ${result.end.heapUsedMb} MB (${result.heapMbPerMinute} MB/min)`,
    );
    return result;
  };
  if (values['soak-only']) {
    try {
      const result = (await soak())!;
      const section = renderSoakSection(result, startedAt, os.loadavg());
      if (!values.json) console.log(section);
      if (!values['no-write']) {
        const file = path.join(ROOT, 'BENCHMARKS.md');
        writeFileSync(file, replaceSoakSection(readFileSync(file, 'utf8'), section));
        progress('replaced the soak section of BENCHMARKS.md');
      }
      if (values.json) console.log(JSON.stringify({ soak: result }));
      return 0;
    } finally {
      if (!values['state-dir']) rmSync(scratch, { recursive: true, force: true });
    }
  }
  const scaleResults: ScaleResult[] = [];
  let consoleResult: ConsoleResult | undefined;
  try {
    for (const [index, scale] of values.only ? [] : scales.entries()) {
      progress(`scale ${scale}: started (${new Date().toISOString()})`);
      scaleResults.push(
        runScaleProcess({
          scale,
          stateDir: path.join(scratch, `scale-${scale}`),
          incrementalRuns: index === 0 ? runs : 0,
          copyRuns: copy.runs,
          copyBudgetSeconds: copy.budgetSeconds,
          pipelineRuns: pipeline.runs,
          pipelineBudgetSeconds: pipeline.budgetSeconds,
          probeRuns: probe.runs,
          probeBudgetSeconds: probe.budgetSeconds,
        }),
      );
    }
    consoleResult = runConsoleProcess({
      // The first paint is a scale-1 figure: `--scale 100` alone must not seed 4.8 million rows again.
      scale: Math.min(scales[0] ?? 1, 1),
      stateDir: path.join(scratch, 'console'),
    });
  } finally {
    if (!values['state-dir'] && soakMinutes === 0) rmSync(scratch, { recursive: true, force: true });
  }
  let soakResult: SoakResult | undefined;
  try {
    soakResult = await soak();
  } finally {
    if (!values['state-dir'] && soakMinutes > 0) rmSync(scratch, { recursive: true, force: true });
  }
  let bundleResults: BundleResult[] = [];
  if (!values.only) {
    progress('bundles: build and cold init');
    bundleResults = await bundles();
  }
  const result: BenchResult = {
    startedAt,
    totalSeconds: Math.round((performance.now() - t0) / 1000),
    machine: { ...machine(scaleResults[0]?.postgresVersion ?? 'unknown'), loadAverage: load },
    scales: scaleResults,
    bundles: bundleResults,
    console: consoleResult,
    targets: [...checkTargets(scaleResults, bundleResults), ...consoleTargets(consoleResult)],
  };
  console.log(renderConsole(result));
  if (!values['no-write'] && !values.only) {
    // The method notes, then the committed before/after comparison of the issue-14 refactor (kept
    // across regenerations: its figures come from two worktrees, not from this run).
    const notes = ['./method.md', './refactor-14.md']
      .map((file) => readFileSync(new URL(file, import.meta.url), 'utf8').trim())
      .join('\n\n');
    mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
    writeFileSync(path.join(ROOT, SVG_PATH), renderSvg(scaleResults));
    const markdown = renderMarkdown(result, SVG_PATH, notes);
    const file = path.join(ROOT, 'BENCHMARKS.md');
    // A run without --soak keeps the figures of the last soak.
    const soakSection = soakResult
      ? renderSoakSection(soakResult, startedAt, load)
      : existsSync(file)
        ? extractSoakSection(readFileSync(file, 'utf8'))
        : undefined;
    writeFileSync(file, soakSection ? replaceSoakSection(markdown, soakSection) : markdown);
    progress(`wrote BENCHMARKS.md and ${SVG_PATH}`);
  }
  if (values.json) console.log(JSON.stringify(soakResult ? { ...result, soak: soakResult } : result));
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
