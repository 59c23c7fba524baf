import type { Command } from 'commander';
import { ENV } from '../../../../shared/config/env.ts';
import { openAwsTarget } from '../../console/aws-target.ts';
import { openLocalTarget } from '../../console/local-target.ts';
import { addConsoleListenOptions, type ConsoleListenOptions, openUrl } from '../../console/options.ts';
import { SecretScrubber } from '../../console/redact.ts';
import { ConsoleSetupError, startConsoleServer } from '../../console/server.ts';
import type { ConsoleTarget } from '../../console/target.ts';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CannotRunError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addExamples,
  addSourceUrlOption,
  addWarehouseUrlOption,
  checkAwsOrStateDir,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
  type WarehouseUrlOption,
} from '../options.ts';

/**
 * `totes console`: the web console (services/tools/console) on the local stack of a state folder,
 * whether `npm start` runs on it or not, or (`--aws`) on a deployment, until Ctrl-C. `npm start`
 * serves the same console itself.
 */

interface ConsoleOptions extends SourceUrlOption, WarehouseUrlOption, AwsOptions, ConsoleListenOptions {}

interface Opened {
  readonly target: ConsoleTarget;
  /** Literal secrets the pages must never show (database passwords, the AWS secret key). */
  readonly secrets: SecretScrubber;
}

async function openLocal(options: ConsoleOptions): Promise<Opened> {
  const stack = await attachLocalStack({
    stateDir: resolveStateDir(options),
    sourceUrl: optionalSourceUrl(options),
    warehouseUrl: optionalWarehouseUrl(options),
  });
  const target = await openLocalTarget({
    stack,
    scheduleSeconds: null,
    onClose: () => stack.detach(),
  }).catch(async (error: unknown) => {
    await stack.detach();
    throw error;
  });
  return { target, secrets: SecretScrubber.fromUrls([stack.sourceUrl, stack.warehouseUrl]) };
}

/** `--aws`: the deployment `--prefix` in the account and region of the standard AWS chain. */
async function openAws(options: ConsoleOptions, env: NodeJS.ProcessEnv = process.env): Promise<Opened> {
  checkAwsOrStateDir(options);
  if (options.sourceUrl !== undefined && options.sourceUrl !== env[ENV.totesysUrl]) {
    throw new UsageError('--source-url is for the local stack: with --aws the console reads the deployment');
  }
  const warehouseUrl = optionalWarehouseUrl(options);
  const target = await withAwsErrors(() =>
    openAwsTarget({ prefix: resolvePrefix(options), warehouseUrl, backupDir: process.cwd() }),
  );
  const urlSecrets = SecretScrubber.fromUrls([warehouseUrl]);
  return {
    target,
    secrets: new SecretScrubber([
      ...urlSecrets.literals,
      env.AWS_SECRET_ACCESS_KEY,
      env.AWS_SESSION_TOKEN,
      options.token,
    ]),
  };
}

export async function consoleCommand(
  options: ConsoleOptions,
  signal?: AbortSignal,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const { target, secrets } = options.aws ? await openAws(options) : await openLocal(options);
  let server: Awaited<ReturnType<typeof startConsoleServer>>;
  try {
    server = await startConsoleServer({
      target,
      host: options.host,
      port: options.port,
      accessToken: options.token ?? null,
      secrets,
    });
  } catch (error) {
    await target.close();
    if (error instanceof ConsoleSetupError) throw new UsageError(error.message);
    throw error;
  }
  say(`totes console: ${openUrl(server.url, options.token)} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    if (signal) signal.addEventListener('abort', stop, { once: true });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await target.close();
}

export function register(program: Command): void {
  const command = program
    .command('console')
    .description(
      'web console on 127.0.0.1: the pipeline flow with live numbers and alarms, the dead letters (redrive, purge), and live warehouse views with CSV downloads; on the local stack while `npm start` runs or when nothing runs, or with --aws on a deployment',
    );
  addAwsOptions(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addConsoleListenOptions(command);
  command.addHelpText(
    'after',
    '\nWith --aws the pages read the deployment (queues, DLQs, state table, CloudWatch alarms and metrics) through the AWS chain; the Warehouse page needs --warehouse-url / WAREHOUSE_URL with a URL reachable from here. Redrive / purge backups go to the working folder.',
  );
  addExamples(command, [
    ['totes console', 'the console on the stack in ./.totes, running or not'],
    ['totes console --port 0', 'on any free port (the URL is printed)'],
    ['totes console --aws --prefix totes-prod', 'the AWS deployment totes-prod (no warehouse views)'],
    [
      'totes console --aws --warehouse-url "$TUNNELLED_URL"',
      'the deployment, with the warehouse views through a tunnel',
    ],
    ['TOTES_CONSOLE_TOKEN=... totes console --host 0.0.0.0', 'reachable from other machines, with a token'],
  ]);
  command.action(async (options: ConsoleOptions) => {
    try {
      await consoleCommand(options);
    } catch (error) {
      if (error instanceof ConsoleSetupError) throw new CannotRunError(error.message, { cause: error });
      throw error;
    }
  });
}
