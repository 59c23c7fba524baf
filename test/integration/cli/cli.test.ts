import { jest } from '@jest/globals';
import type { Command } from 'commander';
import { sql } from 'slonik';
import { buildProgram, main } from '../../../services/tools/cli/main.ts';
import { freePort } from '../../../services/tools/local-runtime/embedded-postgres.ts';
import { runTotes, type TotesRun } from '../../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

/** The real `totes` bin in a child process, without the URL variables of this environment. */
const totes = (args: readonly string[], env: Record<string, string> = {}) => runTotes(args, { env });

/** Every command path, nested ones included: [['start'], ['dlq'], ['dlq', 'show'], ...]. */
function commandPaths(command: Command, prefix: readonly string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [path, ...commandPaths(sub, path)];
  });
}

function expectOneLineError(run: TotesRun, pattern: RegExp): void {
  expect(run.code).not.toBe(0);
  expect(run.code).not.toBeNull();
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^totes: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('totes command line', () => {
  it('prints help for the program and exits 0', async () => {
    const run = await totes(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: totes /);
    for (const name of ['start', 'migrate']) expect(run.stdout).toContain(name);
  });

  it('prints help for every command and subcommand and exits 0', async () => {
    const paths = commandPaths(buildProgram());
    expect(paths).toEqual(expect.arrayContaining([['start'], ['migrate']]));
    // In-process (the same main() the bin runs): one child process per command would mostly
    // measure module loading on a busy machine. The bin itself is exercised by the tests around.
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      for (const commandPath of paths) {
        write.mockClear();
        const code = await main(['node', 'totes', ...commandPath, '--help']);
        const out = write.mock.calls.map((call) => String(call[0])).join('');
        expect({ commandPath, code }).toEqual({ commandPath, code: 0 });
        expect(out).toMatch(new RegExp(`^Usage: totes ${commandPath.join(' ')} `));
      }
    } finally {
      write.mockRestore();
    }
  });

  it("prints a command's help from the real bin", async () => {
    const run = await totes(['migrate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: totes migrate /);
    expect(run.stdout).toContain('--warehouse-url <url>');
  });

  it('reports an unknown option or command in one line, without a stack trace', async () => {
    expectOneLineError(
      await totes(['migrate', '--wherehouse-url', 'x']),
      /unknown option '--wherehouse-url'/,
    );
    expectOneLineError(await totes(['migrat']), /unknown command 'migrat' \(Did you mean migrate\?\)/);
    expectOneLineError(await totes(['start', '--scale', 'lots']), /'--scale <n>' argument 'lots' is invalid/);
  });

  it('asks for a warehouse URL when none is given', async () => {
    const run = await totes(['migrate']);
    expectOneLineError(run, /no warehouse database: pass --warehouse-url or set WAREHOUSE_URL/);
    expect(run.code).toBe(2);
    expectOneLineError(await totes(['migrate', '--warehouse-url', 'mysql://h/db']), /postgres:\/\/ URL/);
  });

  it('reports an unreachable warehouse in one line, hiding the password', async () => {
    const port = await freePort();
    const run = await totes(['migrate', '--warehouse-url', `postgres://totes:hunter2@127.0.0.1:${port}/wh`]);
    expectOneLineError(
      run,
      /warehouse database .*127\.0\.0\.1.*: cannot reach the database: connection refused/,
    );
    expect(run.stderr).not.toContain('hunter2');
    expect(run.stderr).toContain('totes:***@');
  });
});

describe('totes migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cli_migrate');
  });
  afterAll(async () => db.drop());

  it('applies the warehouse schema, then applies nothing the second time', async () => {
    const first = await totes(['migrate', '--warehouse-url', db.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied migration 1 (star schema and pipeline bookkeeping)');
    expect(first.stdout).toContain(
      'applied migration 2 (unit generations (replay): ledger generation, fact rows per unit)',
    );

    // The second run takes the URL from the environment.
    const second = await totes(['migrate'], { WAREHOUSE_URL: db.url });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to apply: warehouse schema is at version 3');
    expect(second.stdout).not.toContain('applied migration');

    const versions = await db.pool.anyFirst(sql.unsafe`SELECT "version" FROM pipeline.schema_migrations`);
    expect([...versions].sort()).toEqual([1, 2, 3]);
    const facts = await db.pool.oneFirst(
      sql.unsafe`SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'fact_%'`,
    );
    expect(facts).toBe(3);
  });
});
