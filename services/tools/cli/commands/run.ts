import { type Command, Option } from 'commander';
import {
  addFaultOptions,
  type FaultOptions,
  faultsFromOptions,
  renderFaultCounts,
} from '../../local-runtime/faults/cli.ts';
import { BundlesMissingError } from '../../local-runtime/lambda/handlers.ts';
import { renderSummary, runOnce } from '../../local-runtime/run-once.ts';
import { LocalStack, type LocalStackOptions, RuntimeBusyError } from '../../local-runtime/stack.ts';
import { CannotRunError, EXIT, ProblemFoundError } from '../errors.ts';
import {
  addBundlesOption,
  addExamples,
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  envOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  positiveNumber,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { writeJson } from '../output.ts';

interface RunOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption, FaultOptions {
  /** Accepted for compatibility: one cycle is what `run` does. */
  readonly once?: boolean;
  readonly json?: boolean;
  readonly bundles?: boolean;
  readonly seedScale: number;
  readonly drainTimeout: number;
}

/** Starts the local stack, mapping the failures a user can fix to one-line errors. */
export async function startStack(
  options: SourceUrlOption & WarehouseUrlOption & StateDirOption & { seedScale?: number; bundles?: boolean },
  extra: Partial<Omit<LocalStackOptions, 'stateDir' | 'sourceUrl' | 'warehouseUrl' | 'seedScale'>> = {},
): Promise<LocalStack> {
  try {
    return await LocalStack.start({
      stateDir: resolveStateDir(options),
      sourceUrl: optionalSourceUrl(options),
      warehouseUrl: optionalWarehouseUrl(options),
      ...(options.seedScale === undefined ? {} : { seedScale: options.seedScale }),
      ...(options.bundles ? { handlers: 'bundles' as const } : {}),
      ...extra,
    });
  } catch (error) {
    if (error instanceof RuntimeBusyError || error instanceof BundlesMissingError)
      throw new CannotRunError(error.message);
    throw error;
  }
}

/**
 * One extract cycle, drained, summarised. The text summary goes to `out`; with `--json` the
 * summary is the one JSON document on stdout and the text goes to `err`.
 */
export async function runCommand(
  options: RunOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const { faults, timeouts } = faultsFromOptions(options);
  const stack = await startStack(options, {
    ...(faults ? { faults } : {}),
    ...(timeouts ? { timeouts } : {}),
  });
  try {
    if (faults) faults.enabled = true;
    const summary = await runOnce(stack, { drainTimeoutMs: options.drainTimeout * 1000 });
    if (faults) faults.enabled = false;
    const text = [renderSummary(summary), ...(faults ? [renderFaultCounts(faults)] : [])].join('\n');
    if (options.json) {
      err.write(`${text}\n`);
      writeJson(faults ? { ...summary, faultsInjected: faults.counts() } : summary, out);
    } else out.write(`${text}\n`);
    return summary.failed === 0 && summary.status !== 'failed' ? EXIT.ok : EXIT.problemFound;
  } finally {
    await stack.stop();
  }
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run one cycle of the pipeline locally: one extract, then wait until every queue is drained and print a summary; exit 1 if anything failed (for the continuous pipeline: `totes start`)',
    )
    .addOption(new Option('--once', 'accepted for compatibility: one cycle is what `run` does'));
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addStateDirOption(command);
  command
    .option('--json', 'print the summary as one JSON document on stdout (text goes to stderr)')
    .addOption(
      envOption('--seed-scale <n>', 'scale for seeding an empty embedded source', {
        parse: positiveNumber,
        default: 1,
        env: 'TOTES_SCALE',
      }),
    )
    .addOption(
      envOption('--drain-timeout <seconds>', 'give up waiting for the queues to drain after this long', {
        parse: positiveNumber,
        default: 600,
      }),
    );
  addBundlesOption(command);
  addFaultOptions(command);
  addExamples(command, [
    ['totes run', 'one cycle on the embedded databases in ./.totes'],
    ['totes run --json | jq .loaded', 'rows loaded per warehouse table'],
    ['totes run --faults all=0.05 --fault-seed 7', 'one cycle with seeded faults'],
    ['npm run build && totes run --bundles', 'run the built Lambda bundles (dist/) instead of the sources'],
    ['TOTES_STATE_DIR=/tmp/t totes run', 'another state folder'],
  ]);
  command.action(async (options: RunOptions) => {
    const code = await runCommand(options);
    if (code !== EXIT.ok) throw new ProblemFoundError('the run had failures (see the summary)');
  });
}
