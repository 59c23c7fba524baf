import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import {
  addFaultOptions,
  type FaultOptions,
  faultsFromOptions,
  renderFaultCounts,
} from '../../local-runtime/faults/cli.ts';
import { renderSummary, runOnce } from '../../local-runtime/run-once.ts';
import { LocalStack, type LocalStackOptions, RuntimeBusyError } from '../../local-runtime/stack.ts';
import { awsDeployment, type Deployment, WarehouseUrlError } from '../../ops/deployment/index.ts';
import { ExtractInvokeError, type LedgerReader, runOnceOnAws } from '../../ops/run/aws-run.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addSourceUrlOption,
  addWarehouseUrlOption,
  checkAwsOrStateDir,
  optionalSourceUrl,
  optionalWarehouseUrl,
  positiveNumber,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

interface RunOptions extends SourceUrlOption, WarehouseUrlOption, AwsOptions, FaultOptions {
  readonly once?: boolean;
  readonly json?: boolean;
  readonly seedScale: number;
  readonly drainTimeout: number;
  readonly pollMs?: number;
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
  if (options.aws) return runOnAwsCommand(options, out);
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

/** `run --once --aws`: invoke the deployed extract, follow its unit to the warehouse, summarise. */
export async function runOnAwsCommand(
  options: RunOptions,
  out: NodeJS.WritableStream = process.stdout,
  clients: { lambda?: LambdaClient; ledger?: LedgerReader; deployment?: Deployment } = {},
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  checkAwsOrStateDir(options);
  if (options.faults !== undefined) throw new UsageError('--faults injects faults into the local stack only');
  const deployment =
    clients.deployment ??
    awsDeployment({ prefix: resolvePrefix(options), warehouseUrl: optionalWarehouseUrl(options) });
  const lambda = clients.lambda ?? new LambdaClient({});
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    const summary = await withAwsErrors(() =>
      runOnceOnAws(deployment, lambda, {
        timeoutMs: options.drainTimeout * 1000,
        signal: controller.signal,
        progress: (line) => err.write(`${line}\n`),
        ...(clients.ledger ? { ledger: clients.ledger } : {}),
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      }),
    ).catch((error: unknown) => {
      if (error instanceof WarehouseUrlError || error instanceof ExtractInvokeError) {
        throw new CliError(error.message, { exitCode: 2, cause: error });
      }
      throw error;
    });
    out.write(`${renderSummary(summary)}\n`);
    if (!summary.complete) {
      out.write(
        `not loaded within ${options.drainTimeout} s: ${summary.units.filter((u) => !u.loaded).length || 'the'} unit(s) still on the way (see \`totes status --aws\`, \`totes logs --aws --run ${summary.runId}\`)\n`,
      );
    }
    if (options.json) out.write(`${JSON.stringify(summary)}\n`);
    return summary.failed === 0 && summary.status !== 'failed' && summary.complete ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', stop);
    if (!clients.lambda) lambda.destroy();
    if (!clients.deployment) await deployment.close();
  }
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'with --once, one extract cycle, then wait until its unit is loaded and print a summary: locally (a stack started for the run) or, with --aws, by invoking the deployed extract and following its unit through the lake to the warehouse load ledger',
    )
    .option('--once', 'one extract cycle, drain, summarise, exit (0 if nothing failed)');
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addAwsOptions(command);
  command
    .option('--json', 'end stdout with one JSON line: extracted, loaded, failed, dlq, seconds')
    .option('--seed-scale <n>', 'scale for seeding an empty embedded source', positiveNumber, 1)
    .option(
      '--drain-timeout <seconds>',
      'give up waiting for the queues to drain (--aws: for the unit to be loaded) after this long',
      positiveNumber,
      600,
    );
  addFaultOptions(command);
  command.action(async (options: RunOptions) => {
    const code = await runCommand(options);
    if (code !== 0) throw new CliError('the run had failures (see the summary above)', { exitCode: code });
  });
}
