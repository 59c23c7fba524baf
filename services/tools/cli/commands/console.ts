import type { Command } from 'commander';
import { openLocalTarget } from '../../console/local-target.ts';
import { addConsoleListenOptions, type ConsoleListenOptions, openUrl } from '../../console/options.ts';
import { SecretScrubber } from '../../console/redact.ts';
import { ConsoleSetupError, startConsoleServer } from '../../console/server.ts';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

/**
 * `totes console`: the web console (services/tools/console) on the local stack of a state folder,
 * whether `npm start` runs on it or not, until Ctrl-C. `npm start` serves the same console itself.
 */

interface ConsoleOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption, ConsoleListenOptions {
  readonly aws?: boolean;
}

export async function consoleCommand(
  options: ConsoleOptions,
  signal?: AbortSignal,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  if (options.aws) {
    throw new UsageError(
      '--aws: the console reads a deployment with the readers of `totes status --aws` and `totes alarms --aws`, which this version does not have yet; use `totes dlq --aws` meanwhile',
    );
  }
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
  let server: Awaited<ReturnType<typeof startConsoleServer>>;
  try {
    server = await startConsoleServer({
      target,
      host: options.host,
      port: options.port,
      accessToken: options.token ?? null,
      secrets: SecretScrubber.fromUrls([stack.sourceUrl, stack.warehouseUrl]),
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
      'web console on 127.0.0.1: the pipeline flow with live numbers and alarms, the dead letters (redrive, purge), and live warehouse views with CSV downloads; works while `npm start` runs and when nothing runs',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addConsoleListenOptions(command);
  command.option('--aws', 'read a deployment instead of the local stack (needs the --aws status readers)');
  command.action(async (options: ConsoleOptions) => {
    try {
      await consoleCommand(options);
    } catch (error) {
      if (error instanceof ConsoleSetupError) throw new CliError(error.message, { exitCode: 2 });
      throw error;
    }
  });
}
