import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { sql } from 'slonik';
import { main } from '../../../services/tools/cli/main.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { integrityViolations } from './source-checks.ts';

const BIN = fileURLToPath(new URL('../../../services/tools/cli/bin/totes.js', import.meta.url));

function totes(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { TOTESYS_URL: _t, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

async function inProcess(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  const saved = process.env.TOTESYS_URL;
  delete process.env.TOTESYS_URL;
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    stderr += String(chunk);
    return true;
  });
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(['node', 'totes', ...args]);
    return { code, stderr };
  } finally {
    write.mockRestore();
    log.mockRestore();
    if (saved !== undefined) process.env.TOTESYS_URL = saved;
  }
}

function expectOneLineError(run: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(run.code).not.toBe(0);
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toEqual([expect.stringMatching(pattern)]);
}

describe('totes seed / totes simulate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('simulator_cli');
  });
  afterAll(async () => db.drop());

  it('seeds, refuses to seed twice, then simulates', async () => {
    const seeded = await totes(['seed', '--scale', '0.01', '--seed', '5', '--source-url', db.url]);
    expect(seeded.stderr).toBe('');
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/sales_order 112, purchase_order 46, transaction 158, payment 158/);

    expectOneLineError(
      await totes(['seed', '--scale', '0.01', '--source-url', db.url]),
      /^totes: the source database already holds rows .*use --reset/,
    );

    const simulated = await totes([
      'simulate',
      '--rate',
      '40/s',
      '--duration',
      '0.5',
      '--seed',
      '3',
      '--source-url',
      db.url,
    ]);
    expect(simulated.code).toBe(0);
    expect(simulated.stdout).toMatch(/done: 20 events; inserted .*sales_order \d+/);
    const sales = await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM sales_order`);
    expect(Number(sales)).toBeGreaterThan(112);
    expect(await integrityViolations(db.pool)).toEqual({});
  });

  it('explains bad arguments and unreachable databases in one line', async () => {
    // In process (the real program, stderr captured): a child process per case would cost seconds.
    expectOneLineError(
      await inProcess(['seed', '--scale', '0', '--source-url', db.url]),
      /--scale.*positive number/,
    );
    expectOneLineError(await inProcess(['seed']), /no source database: pass --source-url or set TOTESYS_URL/);
    expectOneLineError(
      await inProcess(['simulate', '--rate', 'fast', '--source-url', db.url]),
      /invalid rate "fast"/,
    );
    expectOneLineError(
      await inProcess([
        'simulate',
        '--duration',
        '1',
        '--source-url',
        'postgres://totes:secret@127.0.0.1:1/none',
      ]),
      /^totes: source database \(postgres:\/\/totes:\*\*\*@127\.0\.0\.1:1\/none\): cannot reach the database/,
    );
  });
});
