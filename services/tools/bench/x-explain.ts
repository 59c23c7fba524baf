/**
 * Measures applyProcessedUnit on N fact rows (default 100,000 sales orders + as many payments
 * optional): `node services/tools/bench/load-stage.ts [rows] [chunkRows]`. Uses WAREHOUSE_URL (a
 * throwaway database: the tables are truncated) or starts an embedded PostgreSQL in a temp folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import { z } from 'zod';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { PROCESSED_MANIFEST_FORMAT } from '../../../shared/lake/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { applyProcessedUnit, type ProcessedUnit, type Row } from '../../lambdas/load/apply.ts';
import { startEmbeddedPostgres } from '../local-runtime/embedded-postgres.ts';

const rows = Number(process.argv[2] ?? 100_000);
const chunkRows = Number(process.argv[3] ?? 5_000);
const pad = (n: number) => String(n).padStart(2, '0');

function day(i: number): string {
  const d = new Date(Date.UTC(2022, 10, 3) + i * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function benchUnit(unitId: string, version: string): ProcessedUnit {
  const names = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const dates: Row[] = Array.from({ length: 800 }, (_, i) => {
    const date = day(i);
    const d = new Date(`${date}T00:00:00Z`);
    const dow = ((d.getUTCDay() + 6) % 7) + 1;
    return {
      date_id: date,
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      day_of_week: dow,
      day_name: names[dow - 1],
      month_name: d.toLocaleDateString('en-GB', { month: 'long', timeZone: 'UTC' }),
      quarter: Math.floor(d.getUTCMonth() / 3) + 1,
    };
  });
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const tables: Partial<Record<WarehouseTable, Row[]>> = {
    dim_date: dates,
    dim_staff: ids(20).map((id) => ({
      staff_id: id,
      first_name: 'Jeremie',
      last_name: "O'Keefe",
      department_name: 'Sales',
      location: 'Manchester',
      email_address: 'j@terrifictotes.com',
      source_version: version,
    })),
    dim_counterparty: ids(20).map((id) => ({
      counterparty_id: id,
      counterparty_legal_name: 'Grant - Lakin',
      counterparty_legal_address_line_1: '6826 Herzog Via',
      counterparty_legal_address_line_2: null,
      counterparty_legal_district: null,
      counterparty_legal_city: 'Leeds',
      counterparty_legal_postal_code: '28441',
      counterparty_legal_country: 'Austria',
      counterparty_legal_phone_number: '1803 637401',
      source_version: version,
    })),
    dim_location: ids(30).map((id) => ({
      location_id: id,
      address_line_1: 'a',
      address_line_2: null,
      district: null,
      city: 'c',
      postal_code: '01234',
      country: 'UK',
      phone: '1',
      source_version: version,
    })),
    dim_currency: [
      { currency_id: 1, currency_code: 'GBP', currency_name: 'British Pound', source_version: version },
    ],
    dim_design: ids(472).map((id) => ({
      design_id: id,
      design_name: 'Steel',
      file_location: '/usr',
      file_name: 'steel-20221103-abcd.json',
      source_version: version,
    })),
    fact_sales_order: ids(rows).map((id) => ({
      sales_order_id: id,
      created_date: day(id % 700),
      created_time: '10:00:00.123',
      last_updated_date: day(id % 700),
      last_updated_time: '10:00:00.123',
      sales_staff_id: (id % 20) + 1,
      counterparty_id: (id % 20) + 1,
      units_sold: 1000 + (id % 99_000),
      unit_price: `${2 + (id % 2)}.${pad(id % 100)}`,
      currency_id: 1,
      design_id: (id % 472) + 1,
      agreed_payment_date: day((id % 700) + 3),
      agreed_delivery_date: day((id % 700) + 5),
      agreed_delivery_location_id: (id % 30) + 1,
    })),
  };
  return {
    manifest: {
      format: PROCESSED_MANIFEST_FORMAT,
      unitId,
      runId: 'bench',
      source: { bucket: 'b', key: 'k', eTag: 'e' },
      newestSourceUpdate: null,
      objects: Object.entries(tables).map(([table, list]) => ({
        table: table as WarehouseTable,
        key: `${table}.parquet`,
        rows: list.length,
      })),
    },
    tables,
  };
}

async function main(): Promise<void> {
  let url = process.env.WAREHOUSE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const dir = await mkdtemp(path.join(tmpdir(), 'totes-bench-'));
    const server = await startEmbeddedPostgres(path.join(dir, 'data'));
    url = await server.ensureDatabase('bench');
    stop = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  // One connection, so the CPU time of its server process can be read from /proc (wall-clock time
  // on a shared machine says little; CPU seconds of node + the PostgreSQL backend do).
  const pool = await createDatabasePool(url, { maximumPoolSize: 1, statementTimeoutMs: 600_000 });
  pool.on('error', () => {});
  try {
    await migrateWarehouse(pool);
    await pool.query(sql.unsafe`TRUNCATE fact_sales_order, dim_date, dim_staff, dim_counterparty, dim_location,
      dim_currency, dim_design, pipeline.load_ledger, pipeline.dimension_version CASCADE`);
    const backend = await pool.oneFirst(
      sql.type(z.object({ pid: z.number().int() }))`SELECT pg_backend_pid() AS pid`,
    );
    const backendCpu = async () => {
      try {
        const fields = (await readFile(`/proc/${backend}/stat`, 'utf8')).split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return Number.NaN;
      }
    };
    const time = async (label: string, unit: ProcessedUnit) => {
      const started = performance.now();
      const nodeBefore = process.cpuUsage();
      const pgBefore = await backendCpu();
      const result = await applyProcessedUnit(pool, unit, { chunkRows });
      const seconds = (performance.now() - started) / 1000;
      const nodeCpu = process.cpuUsage(nodeBefore);
      const cpu = `cpu node ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(2)} s, postgres ${((await backendCpu()) - pgBefore).toFixed(2)} s`;
      const facts = result.status === 'applied' ? result.rows.fact_sales_order : undefined;
      console.log(
        `${label}: wall ${seconds.toFixed(2)} s (${cpu}), ${result.status}` +
          (facts ? `, fact_sales_order received ${facts.received} inserted ${facts.inserted}` : ''),
      );
    };
    await time(
      `first load of ${rows} fact rows (chunk ${chunkRows})`,
      benchUnit('bench-1', '2024-01-01 00:00:00.000'),
    );
    {
      const { mergeStatement, stageRow } = await import('../../lambdas/load/merge.ts');
      const { LOAD_TABLES } = await import('../../lambdas/load/tables.ts');
      const spec = LOAD_TABLES.fact_sales_order;
      const unit = benchUnit('x', '2024-01-01 00:00:00.000');
      const facts = (unit.tables.fact_sales_order as Row[]).slice(0, 5000).map((r, i) => stageRow(spec, { ...r, sales_order_id: 1_000_000 + i }, i));
      const stmt = mergeStatement(spec, facts);
      await pool.transaction(async (tx) => {
        const plan = await tx.any(sql.unsafe`EXPLAIN (ANALYZE, BUFFERS, VERBOSE) ${stmt}`);
        for (const r of plan) console.log(Object.values(r)[0]);
        throw new Error('rollback');
      }).catch(() => {});
    }
    await time('same unit again', benchUnit('bench-1', '2024-01-01 00:00:00.000'));
    await time('another unit with the same fact versions', benchUnit('bench-2', '2024-01-02 00:00:00.000'));
  } finally {
    await pool.end();
    await stop?.();
  }
}

await main();
