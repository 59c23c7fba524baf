import { LambdaClient } from '@aws-sdk/client-lambda';
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
import { awsDeployment, type Deployment, WarehouseUrlError } from '../../ops/deployment/index.ts';
import { ExtractInvokeError, type LedgerReader, runOnceOnAws } from '../../ops/run/aws-run.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CannotRunError, EXIT, ProblemFoundError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addBundlesOption,
  addExamples,
  addSourceUrlOption,
  addWarehouseUrlOption,
  checkAwsOrStateDir,
  envOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  positiveNumber,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { writeJson } from '../output.ts';

interface RunOptions extends SourceUrlOption, WarehouseUrlOption, AwsOptions, FaultOptions {
  /** Accepted for compatibility: one cycle is what `run` does. */
  readonly once?: boolean;
  readonly json?: boolean;
  readonly bundles?: boolean;
  readonly seedScale: number;
  readonly drainTimeout: number;
  readonly pollMs?: number;
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
      throw new CannotRunError(error.message, { cause: error });
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
  if (options.aws) return runOnAwsCommand(options, out, {}, err);
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

/** `run --once --aws`: invoke the deployed extract, follow its unit to the warehouse, summarise. */
export async function runOnAwsCommand(
  options: RunOptions,
  out: NodeJS.WritableStream = process.stdout,
  clients: { lambda?: LambdaClient; ledger?: LedgerReader; deployment?: Deployment } = {},
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  checkAwsOrStateDir(options);
  if (options.faults !== undefined) throw new UsageError('--faults injects faults into the local stack only');
  if (options.bundles) throw new UsageError('--bundles runs the built bundles in the local stack only');
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
        throw new CannotRunError(error.message, { cause: error });
      }
      throw error;
    });
    // With --json the text goes to stderr and the summary is the one document on stdout.
    const text = options.json ? err : out;
    text.write(`${renderSummary(summary)}\n`);
    if (!summary.complete) {
      text.write(
        `not loaded within ${options.drainTimeout} s: ${summary.units.filter((u) => !u.loaded).length || 'the'} unit(s) still on the way (see \`totes status --aws\`, \`totes logs --aws --run ${summary.runId}\`)\n`,
      );
    }
    if (options.json) writeJson(summary, out);
    return summary.failed === 0 && summary.status !== 'failed' && summary.complete
      ? EXIT.ok
      : EXIT.problemFound;
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
      'run one cycle of the pipeline and print a summary: locally (a stack started for the run: one extract, then wait until every queue is drained) or, with --aws, by invoking the deployed extract and following its unit through the lake to the warehouse load ledger; exit 1 if anything failed (for the continuous local pipeline: `totes start`)',
    )
    .addOption(new Option('--once', 'accepted for compatibility: one cycle is what `run` does'));
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addAwsOptions(command);
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
      envOption(
        '--drain-timeout <seconds>',
        'give up waiting for the queues to drain (--aws: for the unit to be loaded) after this long',
        {
          parse: positiveNumber,
          default: 600,
        },
      ),
    );
  addBundlesOption(command);
  addFaultOptions(command);
  addExamples(command, [
    ['totes run', 'one cycle on the embedded databases in ./.totes'],
    [
      'totes run --aws --prefix totes-prod',
      'invoke the deployed extract and follow its unit to the warehouse',
    ],
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
