/**
 * `totes query` over a real lake: the pipeline runs twice (a first load, then updates), then the
 * lake's views are compared with the warehouse the same units were loaded into: every dimension
 * row (newest version per id), the fact versions, and money summed exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { runTotes } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let source: TestDatabase;
let warehouse: TestDatabase;
let stateDir: string;

type Row = Record<string, unknown>;

async function warehouseRows(query: ReturnType<typeof sql.unsafe>): Promise<Row[]> {
  return (await warehouse.pool.any(query)).map((r) => ({ ...(r as Row) }));
}

async function query(statement: string): Promise<Record<string, unknown>[]> {
  const run = await runTotes(['query', '--state-dir', stateDir, '--json', statement]);
  if (run.code !== 0) throw new Error(`totes query exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>[];
}

beforeAll(async () => {
  source = await createTestDatabase('query_source');
  warehouse = await createTestDatabase('query_warehouse');
  await seedSource(source.pool, { scale: 0.05, seed: 7 });
  stateDir = mkdtempSync(path.join(tmpdir(), 'totes-query-'));
  const stack = await LocalStack.start({
    stateDir,
    sourceUrl: source.url,
    warehouseUrl: warehouse.url,
    retryDelaySeconds: 1,
  });
  try {
    expect((await runOnce(stack)).failed).toBe(0);
    await simulateEvents(source.pool, { events: 150, seed: 3 });
    expect((await runOnce(stack)).failed).toBe(0);
  } finally {
    await stack.stop();
  }
});

afterAll(async () => {
  await source?.drop();
  await warehouse?.drop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('totes query over the local lake', () => {
  it('sales per month from the lake equal the warehouse, to the cent', async () => {
    const lake = await query(
      `SELECT strftime(created_date, '%Y-%m') AS month, count(*) AS versions,
              sum(units_sold * unit_price) AS revenue
         FROM fact_sales_order GROUP BY 1 ORDER BY 1`,
    );
    const expected = await warehouseRows(
      sql.unsafe`SELECT to_char("created_date", 'YYYY-MM') AS month, count(*)::text AS versions,
                        sum("units_sold" * "unit_price")::numeric(20, 2)::text AS revenue
                   FROM "fact_sales_order" GROUP BY 1 ORDER BY 1`,
    );
    expect(lake.length).toBeGreaterThan(3);
    expect(lake.map((r) => ({ ...r, revenue: Number(r.revenue).toFixed(2) }))).toEqual(
      expected.map((r) => ({ ...r, revenue: Number(r.revenue).toFixed(2) })),
    );
    // Exact, not only to float precision: the decimal strings agree digit for digit.
    for (const [i, row] of lake.entries()) {
      expect(String(row.revenue).replace(/0+$/, '').replace(/\.$/, '')).toBe(
        String(expected[i]?.revenue).replace(/\.?0+$/, ''),
      );
    }
  });

  it('dimensions show the newest version per id, as the warehouse holds them', async () => {
    const lake = await query(
      'SELECT location_id, address_line_1, address_line_2, city, postal_code FROM dim_location ORDER BY 1',
    );
    const expected = await warehouseRows(
      sql.unsafe`SELECT "location_id", "address_line_1", "address_line_2", "city", "postal_code"
                   FROM "dim_location" ORDER BY 1`,
    );
    expect(lake).toEqual(expected);
    // One row per id: older versions of a staff member (there are updates) never show.
    const [staff] = await query('SELECT count(*) AS n, count(DISTINCT staff_id) AS ids FROM dim_staff');
    expect(staff?.n).toBe(staff?.ids);
    expect(staff?.n).toBe(
      String(await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "dim_staff"`)),
    );
  });

  it('every fact version once, as in the warehouse; raw and ingestion views reach every file', async () => {
    for (const table of ['fact_sales_order', 'fact_purchase_order', 'fact_payment'] as const) {
      const [lake] = await query(`SELECT count(*) AS n FROM ${table}`);
      const expected = await warehouse.pool.oneFirst(
        sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`,
      );
      expect(lake?.n).toBe(String(expected));
    }
    const files = await query('SELECT count(DISTINCT filename) AS files FROM raw.fact_payment');
    expect(Number(files[0]?.files)).toBeGreaterThanOrEqual(2);
    const [ingested] = await query(
      `SELECT count(DISTINCT (sales_order_id, last_updated)) AS versions FROM ingestion.sales_order`,
    );
    const [loaded] = await query('SELECT count(*) AS versions FROM fact_sales_order');
    expect(ingested?.versions).toBe(loaded?.versions);
  });

  it('prints CSV and aligned tables, and answers bad SQL and a missing lake with exit 2', async () => {
    const csv = await runTotes([
      'query',
      '--state-dir',
      stateDir,
      '--csv',
      'SELECT * FROM dim_currency ORDER BY 1',
    ]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      'currency_id,currency_code,currency_name\r\n1,GBP,British Pound\r\n2,USD,US Dollar\r\n3,EUR,Euro\r\n',
    );
    const table = await runTotes([
      'query',
      '--state-dir',
      stateDir,
      'SELECT currency_code FROM dim_currency ORDER BY 1',
    ]);
    expect(table.stdout.split('\n').slice(0, 3)).toEqual(['currency_code', '-------------', 'EUR']);
    const bad = await runTotes(['query', '--state-dir', stateDir, 'SELECT * FROM no_such_table']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no_such_table.*views over the lake: dim_date/);
    const empty = mkdtempSync(path.join(tmpdir(), 'totes-query-empty-'));
    try {
      const none = await runTotes(['query', '--state-dir', empty, 'SELECT 1']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/no local lake/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
