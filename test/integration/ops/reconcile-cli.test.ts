import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { freePort } from '../../../services/tools/local-runtime/embedded-postgres.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { sourceDdlStatements } from '../../../shared/schema/totesys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { SOURCE_ROWS, WAREHOUSE_ROWS } from './reconcile-fixture.ts';

const BIN = fileURLToPath(new URL('../../../services/tools/cli/bin/totes.js', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real `totes` bin in a child process, without the URL variables of this environment. */
function totes(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const { WAREHOUSE_URL: _w, TOTESYS_URL: _t, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...inherited, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function oneLine(run: Run): string {
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('totes reconcile (command)', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let empty: TestDatabase;

  beforeAll(async () => {
    [source, warehouse, empty] = await Promise.all([
      createTestDatabase('reconcile_cli_source'),
      createTestDatabase('reconcile_cli_warehouse'),
      createTestDatabase('reconcile_cli_empty'),
    ]);
    for (const statement of sourceDdlStatements()) await source.pool.query(statement);
    for (const statement of SOURCE_ROWS) await source.pool.query(statement);
    await migrateWarehouse(warehouse.pool);
    for (const statement of WAREHOUSE_ROWS) await warehouse.pool.query(statement);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), warehouse?.drop(), empty?.drop()]);
  });

  it('prints OK and exits 0 when the warehouse matches (URLs from the environment)', async () => {
    const run = await totes(['reconcile'], { TOTESYS_URL: source.url, WAREHOUSE_URL: warehouse.url });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^fact_sales_order\s+ok\s+\(source 2, warehouse 3, ids 2, compared 2\)$/m);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^OK: the warehouse matches the source/);
  });

  it('prints the diff and exits 1 on a mismatch; --json prints one object', async () => {
    await warehouse.pool.query(
      sql.unsafe`UPDATE "dim_staff" SET "last_name" = 'OKeefe' WHERE "staff_id" = 1`,
    );
    try {
      const args = ['reconcile', '--source-url', source.url, '--warehouse-url', warehouse.url];
      const text = await totes(args);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('different     id=1  last_name: expected "O\'Keefe", actual "OKeefe"');
      expect(oneLine(text)).toBe('totes: reconcile: 1 mismatch between the source and the warehouse');

      const json = await totes([...args, '--json']);
      expect(json.code).toBe(1);
      const lines = json.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const result = JSON.parse(lines[0]!);
      expect(result).toMatchObject({
        ok: false,
        mismatches: [{ table: 'dim_staff', kind: 'different', id: 1, column: 'last_name' }],
        summary: { totalMismatches: 1 },
      });
      expect(result.counts.fact_payment).toMatchObject({ sourceRows: 3, warehouseRows: 4 });
    } finally {
      await warehouse.pool.query(
        sql.unsafe`UPDATE "dim_staff" SET "last_name" = 'O''Keefe' WHERE "staff_id" = 1`,
      );
    }
  });

  it('names an unmigrated warehouse in one line', async () => {
    const run = await totes(['reconcile', '--source-url', source.url, '--warehouse-url', empty.url]);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toMatch(
      /^totes: warehouse database \(postgres:\/\/totes:\*\*\*@[^)]+\) has no table dim_date, dim_staff, .*fact_payment: run `totes migrate` first$/,
    );
    const swapped = await totes([
      'reconcile',
      '--source-url',
      warehouse.url,
      '--warehouse-url',
      warehouse.url,
    ]);
    expect(oneLine(swapped)).toMatch(
      /^totes: source database \(.*\) is not a totesys database: no table address, /,
    );
  });

  it('reports an unreachable database in one line without its password', async () => {
    const port = await freePort();
    const run = await totes([
      'reconcile',
      '--source-url',
      source.url,
      '--warehouse-url',
      `postgres://totes:hunter2@127.0.0.1:${port}/warehouse`,
    ]);
    expect(run.code).toBe(2);
    const line = oneLine(run);
    expect(line).toMatch(
      /^totes: warehouse database \(postgres:\/\/totes:\*\*\*@127\.0\.0\.1:\d+\/warehouse\): cannot reach/,
    );
    expect(line).not.toContain('hunter2');
  });

  it('asks for the source URL when none is given', async () => {
    const run = await totes(['reconcile', '--warehouse-url', warehouse.url]);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toBe('totes: no source database: pass --source-url or set TOTESYS_URL');
  });
});
