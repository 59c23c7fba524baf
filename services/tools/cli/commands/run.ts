import type { Command } from 'commander';
import {
  addFaultOptions,
  type FaultOptions,
  faultsFromOptions,
  renderFaultCounts,
} from '../../local-runtime/faults/cli.ts';
import { renderSummary, runOnce } from '../../local-runtime/run-once.ts';
import { LocalStack, type LocalStackOptions, RuntimeBusyError } from '../../local-runtime/stack.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  positiveNumber,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

interface RunOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption, FaultOptions {
  readonly once?: boolean;
  readonly json?: boolean;
  readonly seedScale: number;
  readonly drainTimeout: number;
}

/** Starts the local stack, mapping the failures a user can fix to one-line errors. */
export async function startStack(
  options: SourceUrlOption & WarehouseUrlOption & StateDirOption & { seedScale?: number },
  extra: Partial<Omit<LocalStackOptions, 'stateDir' | 'sourceUrl' | 'warehouseUrl' | 'seedScale'>> = {},
): Promise<LocalStack> {
  try {
    return await LocalStack.start({
      stateDir: resolveStateDir(options),
      sourceUrl: optionalSourceUrl(options),
      warehouseUrl: optionalWarehouseUrl(options),
      ...(options.seedScale === undefined ? {} : { seedScale: options.seedScale }),
      ...extra,
    });
  } catch (error) {
    if (error instanceof RuntimeBusyError) throw new CliError(error.message, { exitCode: 2, cause: error });
    throw error;
  }
}

export async function runCommand(
  options: RunOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  if (!options.once) {
    throw new UsageError(
      '`totes run` needs --once (for the continuous pipeline with live progress, use `totes start`)',
    );
  }
  const { faults, timeouts } = faultsFromOptions(options);
  const stack = await startStack(options, {
    ...(faults ? { faults } : {}),
    ...(timeouts ? { timeouts } : {}),
  });
  try {
    if (faults) faults.enabled = true;
    const summary = await runOnce(stack, { drainTimeoutMs: options.drainTimeout * 1000 });
    if (faults) faults.enabled = false;
    out.write(`${renderSummary(summary)}\n`);
    if (faults) out.write(`${renderFaultCounts(faults)}\n`);
    if (options.json) out.write(`${JSON.stringify(summary)}\n`);
    return summary.failed === 0 && summary.status !== 'failed' ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run the pipeline locally: with --once, one extract cycle, then wait until every queue is drained and print a summary',
    )
    .option('--once', 'one extract cycle, drain, summarise, exit (0 if nothing failed)');
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addStateDirOption(command);
  command
    .option('--json', 'end stdout with one JSON line: extracted, loaded, failed, dlq, seconds')
    .option('--seed-scale <n>', 'scale for seeding an empty embedded source', positiveNumber, 1)
    .option(
      '--drain-timeout <seconds>',
      'give up waiting for the queues to drain after this long',
      positiveNumber,
      600,
    );
  addFaultOptions(command);
  command.action(async (options: RunOptions) => {
    const code = await runCommand(options);
    if (code !== 0) throw new CliError('the run had failures (see the summary above)', { exitCode: code });
  });
}
