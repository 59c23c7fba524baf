/**
 * The CLI contract of README "Conventions", checked on every command there is (walking
 * `program.commands`, so a command added later is checked without touching this file):
 * usage errors exit 2 in one line; `--json` leaves exactly one JSON document on stdout, failures
 * included; NO_COLOR output carries no escape codes; every TOTES_* variable a `--help` shows sets
 * its flag, and the README documents exactly those.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram, main } from '../../../services/tools/cli/main.ts';
import { freePort } from '../../../services/tools/local-runtime/embedded-postgres.ts';
import { runTotes, TOTES_BIN } from '../../support/cli.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');

/** Every command, nested ones included, with its path: [['start'], ['dlq'], ['dlq', 'show'], ...]. */
function commands(command: Command, prefix: readonly string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((sub) => {
    const commandPath = [...prefix, sub.name()];
    return [{ path: commandPath, command: sub }, ...commands(sub, commandPath)];
  });
}

const ALL = commands(buildProgram());
/** Commands that act (not groups like `dlq`). */
const LEAVES = ALL.filter((c) => c.command.commands.length === 0);
/** Placeholder values for a command's required arguments (`dlq show <queue>`). */
const argumentsOf = (command: Command) =>
  command.registeredArguments.filter((a) => a.required).map(() => 'x');

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** main() in this process, its stdout and stderr captured, with `env` set while it runs. */
async function runMain(args: readonly string[], env: Record<string, string> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const original = { out: process.stdout.write, err: process.stderr.write };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'totes', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Whether the option's own parser throws on `value` (a usage error, before any action runs). */
function refuses(option: Option, value: string): boolean {
  try {
    option.parseArg?.(value, undefined);
    return false;
  } catch {
    return true;
  }
}

function expectUsageError(run: Captured, where: string): void {
  expect({ where, code: run.code }).toEqual({ where, code: 2 });
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect({ where, lines: lines.length }).toEqual({ where, lines: 1 });
  expect(lines[0]).toMatch(/^totes: /);
}

describe('the CLI contract, on every command', () => {
  it('finds the commands', () => {
    expect(LEAVES.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['start', 'run', 'status', 'alarms', 'reconcile', 'migrate', 'dlq list']),
    );
  });

  it("a usage error exits 2 in one line: an unknown option, a value its parser refuses, commander's own", async () => {
    for (const { path: commandPath, command } of ALL) {
      const where = commandPath.join(' ');
      expectUsageError(
        await runMain([...commandPath, ...argumentsOf(command), '--no-such-option']),
        `${where} --no-such-option`,
      );
      for (const option of command.options as readonly Option[]) {
        // Every option whose parser (or choices) refuses a value that is nothing of the kind.
        if (!(option.required && option.parseArg && refuses(option, '%not-a-value%'))) continue;
        expectUsageError(
          await runMain([...commandPath, ...argumentsOf(command), option.long ?? '', '%not-a-value%']),
          `${where} ${option.long} %not-a-value%`,
        );
      }
    }
    expectUsageError(await runMain(['no-such-command']), 'no-such-command');
    expectUsageError(await runMain(['dlq', 'show']), 'dlq show (missing argument)');
    // No command at all: the help, on stderr, and exit 2.
    for (const args of [[], ['dlq']]) {
      const run = await runMain(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^Usage: totes /);
    }
  });

  it('--json: stdout holds exactly one JSON document, also when the command fails', async () => {
    const withJson = LEAVES.filter((c) => c.command.options.some((o) => o.long === '--json'));
    expect(withJson.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['run', 'status', 'alarms', 'reconcile', 'dlq list']),
    );
    for (const { path: commandPath, command } of withJson) {
      const run = await runMain([...commandPath, ...argumentsOf(command), '--json', '--no-such-option']);
      expect({ where: commandPath.join(' '), code: run.code }).toEqual({
        where: commandPath.join(' '),
        code: 2,
      });
      expect(JSON.parse(run.stdout)).toEqual({
        error: { message: "unknown option '--no-such-option'", exitCode: 2 },
      });
    }
    // A failure inside the command (an unreachable database): still one document, exit 2.
    const port = await freePort();
    const unreachable = `postgres://u:secret@127.0.0.1:${port}/db`;
    const run = await runMain([
      'reconcile',
      '--json',
      '--source-url',
      unreachable,
      '--warehouse-url',
      unreachable,
    ]);
    expect(run.code).toBe(2);
    const document = JSON.parse(run.stdout) as { error: { message: string; exitCode: number } };
    expect(document.error.exitCode).toBe(2);
    expect(document.error.message).toMatch(/cannot reach the database/);
    expect(run.stdout).not.toContain('secret');
    expect(run.stderr).toMatch(/^totes: source database .*cannot reach the database/);
  });

  it('every TOTES_* variable a --help shows sets its flag; the README documents exactly those', async () => {
    const samples: Record<string, { value: string; expected: unknown }> = {
      TOTES_STATE_DIR: { value: '/tmp/totes-elsewhere', expected: '/tmp/totes-elsewhere' },
      TOTES_PREFIX: { value: 'acme', expected: 'acme' },
      TOTES_FAULTS: { value: 'all=0.1', expected: 'all=0.1' },
      TOTES_SIMULATE_RATE: { value: '3', expected: 3 },
      TOTES_WEBHOOK: { value: 'https://hooks.example.com/x', expected: 'https://hooks.example.com/x' },
      TOTES_WEBHOOK_FORMAT: { value: 'teams', expected: 'teams' },
      TOTES_BUNDLES: { value: '1', expected: true },
      TOTES_LOGS_SINCE: { value: '15m', expected: '15m' },
      TOTES_CONSOLE_HOST: { value: '127.0.0.2', expected: '127.0.0.2' },
      TOTES_CONSOLE_TOKEN: { value: 'a-token-of-16-characters', expected: 'a-token-of-16-characters' },
    };
    const seen = new Set<string>();
    for (const { path: commandPath, command } of LEAVES) {
      for (const option of command.options as readonly Option[]) {
        const name = option.envVar;
        if (!name?.startsWith('TOTES_')) continue;
        seen.add(name);
        const sample = samples[name] ?? { value: '7', expected: 7 };
        // The simulate command takes its rate as text (parsed later); start's too.
        const expected =
          name === 'TOTES_SIMULATE_RATE' && commandPath[0] === 'start' ? sample.value : sample.expected;
        const program = buildProgram();
        const target = commands(program).find((c) => c.path.join(' ') === commandPath.join(' '))?.command;
        if (!target) throw new Error(`no command ${commandPath.join(' ')}`);
        let parsed: Record<string, unknown> | undefined;
        target.action(function (this: Command) {
          parsed = this.opts();
        });
        const saved = process.env[name];
        process.env[name] = sample.value;
        try {
          await program.parseAsync(['node', 'totes', ...commandPath, ...argumentsOf(target)]);
        } finally {
          if (saved === undefined) delete process.env[name];
          else process.env[name] = saved;
        }
        const where = `${commandPath.join(' ')} ${option.long} from ${name}`;
        expect({ where, value: parsed?.[option.attributeName()] }).toEqual({ where, value: expected });
        expect(target.getOptionValueSource(option.attributeName())).toBe('env');
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(['TOTES_STATE_DIR', 'TOTES_PREFIX']));

    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Conventions'),
      readme.indexOf('\n## ', readme.indexOf('## Conventions') + 5),
    );
    const documented = new Set([...section.matchAll(/`(TOTES_[A-Z_]+)`/g)].map((m) => m[1]));
    // Variables of the CLI itself that no flag has.
    for (const name of ['TOTES_DEBUG']) documented.delete(name);
    expect([...documented].sort()).toEqual([...seen].sort());
  });

  it('every help says which variable sets each flag with a default', () => {
    for (const { path: commandPath, command } of LEAVES) {
      for (const option of command.options as readonly Option[]) {
        if (option.defaultValue === undefined || option.negate) continue;
        expect({ where: `${commandPath.join(' ')} ${option.long}`, env: option.envVar }).toEqual({
          where: `${commandPath.join(' ')} ${option.long}`,
          env: expect.stringMatching(/^TOTES_[A-Z_]+$/),
        });
      }
    }
  });

  it('the real bin: TOTES_STATE_DIR and TOTES_PREFIX take effect', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'totes-contract-'));
    try {
      const run = await runTotes(['dlq', 'list', '--json'], {
        env: { TOTES_STATE_DIR: stateDir, TOTES_PREFIX: 'acme' },
      });
      expect(run.code).toBe(0);
      const queues = (JSON.parse(run.stdout) as { queue: string }[]).map((q) => q.queue).sort();
      expect(queues).toEqual(['acme-load-dlq', 'acme-transform-dlq']);
      // The queues were created in that folder.
      expect(readFileSync(path.join(stateDir, 'aws', 'sqs', 'acme-load-dlq.json'), 'utf8')).toContain(
        'acme-load-dlq',
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('NO_COLOR=1: no escape codes on a terminal; without it the same help is coloured', () => {
    // `script` gives the command a pseudo-terminal, so colour would be on but for NO_COLOR.
    // Without CI: Node counts a terminal under an unnamed CI (CI=true, as .ci/run sets) as having
    // 2 colours, so it would never colour, NO_COLOR or not.
    const { CI: _ci, ...withoutCi } = process.env;
    const onTerminal = (env: Record<string, string>, args: string) =>
      execFileSync('script', ['-qec', `"${process.execPath}" "${TOTES_BIN}" ${args}`, '/dev/null'], {
        encoding: 'utf8',
        env: { ...withoutCi, ...env, TERM: 'xterm-256color' },
      });
    const escapeCode = '\u001b[';
    expect(onTerminal({}, 'run --help')).toContain(escapeCode);
    for (const { path: commandPath } of ALL) {
      const out = onTerminal({ NO_COLOR: '1' }, `${commandPath.join(' ')} --help`);
      expect({ where: commandPath.join(' '), escapes: out.includes(escapeCode) }).toEqual({
        where: commandPath.join(' '),
        escapes: false,
      });
    }
  });
});
