/**
 * Measures applyProcessedUnit on N fact rows (default 100,000 sales orders + as many payments
 * optional): `node services/tools/bench/load-stage.ts [rows] [chunkRows] [bulkMinRows|off] [auto|whole-table]`
 * (the last: how a large unit's keys are checked set-based, apply.ts `setBasedKeys`). Uses WAREHOUSE_URL (a
 * throwaway database: the tables are truncated) or starts an embedded PostgreSQL in a temp folder.
 *
 * Last, the same rows as the two parts of a split unit (each with every shared dimension, half of
 * the facts), loaded side by side on two connections as the load mapping runs them: once into an
 * empty warehouse, once more after the first part of another pair has committed.
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
import { DEFAULT_BULK_MIN_ROWS } from '../../lambdas/load/bulk-keys.ts';
import { startEmbeddedPostgres } from '../local-runtime/embedded-postgres.ts';

const rows = Number(process.argv[2] ?? 100_000);
const chunkRows = Number(process.argv[3] ?? 5_000);
/** Fact rows from which a table's keys are checked set-based (bulk-keys.ts); 'off' = never. */
const bulkMinRows =
  process.argv[4] === 'off' ? Number.MAX_SAFE_INTEGER : Number(process.argv[4] ?? DEFAULT_BULK_MIN_ROWS);
const setBasedKeys = process.argv[5] === 'whole-table' ? 'whole-table' : 'auto';
const options = { chunkRows, bulkMinRows, setBasedKeys } as const;
const pad = (n: number) => String(n).padStart(2, '0');

function day(i: number): string {
  const d = new Date(Date.UTC(2022, 10, 3) + i * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function benchUnit(unitId: string, version: string, firstFact = 1, factRows = rows): ProcessedUnit {
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
    fact_sales_order: ids(factRows)
      .map((i) => i + firstFact - 1)
      .map((id) => ({
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

/** CPU seconds (user + system) of a PostgreSQL backend, from /proc (NaN where there is none). */
async function cpuOf(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
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
    const backendCpu = () => cpuOf(backend);
    const time = async (label: string, unit: ProcessedUnit) => {
      const started = performance.now();
      const nodeBefore = process.cpuUsage();
      const pgBefore = await backendCpu();
      const result = await applyProcessedUnit(pool, unit, options);
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
    await time('same unit again', benchUnit('bench-1', '2024-01-01 00:00:00.000'));
    await time('another unit with the same fact versions', benchUnit('bench-2', '2024-01-02 00:00:00.000'));

    // Two parts side by side, each on its own connection (CPU of both backends summed).
    const second = await createDatabasePool(url, { maximumPoolSize: 1, statementTimeoutMs: 600_000 });
    second.on('error', () => {});
    const watcher = await createDatabasePool(url, { maximumPoolSize: 1 });
    watcher.on('error', () => {});
    try {
      const pidOf = (p: typeof pool) =>
        p.oneFirst(sql.type(z.object({ pid: z.number().int() }))`SELECT pg_backend_pid() AS pid`);
      const parts = async (label: string, prefix: string, firstFact: number) => {
        // The backends now (a pool may have replaced its connection since the last reading).
        const backend = await pidOf(pool);
        const secondBackend = await pidOf(second);
        const backendCpu = () => cpuOf(backend);
        const half = Math.floor(rows / 2);
        const version = '2024-01-01 00:00:00.000';
        const started = performance.now();
        const nodeBefore = process.cpuUsage();
        const pgBefore = (await backendCpu()) + (await cpuOf(secondBackend));
        // How long either part waits on the other's locks: both backends' wait events, sampled.
        let samples = 0;
        let lockWaits = 0;
        let loading = true;
        const sampling = (async () => {
          while (loading) {
            const waits = await watcher.anyFirst(
              sql.type(z.object({ waiting: z.boolean() }))`
                SELECT wait_event_type IS NOT DISTINCT FROM 'Lock' AS waiting FROM pg_stat_activity
                WHERE pid = ANY(${sql.array([backend, secondBackend], 'int4')})`,
            );
            samples += waits.length;
            lockWaits += waits.filter(Boolean).length;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        await Promise.all([
          applyProcessedUnit(pool, benchUnit(`${prefix}-1`, version, firstFact, half), options),
          applyProcessedUnit(second, benchUnit(`${prefix}-2`, version, firstFact + half, half), options),
        ]).finally(() => {
          loading = false;
        });
        await sampling;
        const seconds = (performance.now() - started) / 1000;
        const nodeCpu = process.cpuUsage(nodeBefore);
        const pgCpu = (await backendCpu()) + (await cpuOf(secondBackend)) - pgBefore;
        console.log(
          `${label}: wall ${seconds.toFixed(2)} s (cpu node ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(2)} s, postgres ${pgCpu.toFixed(2)} s), ` +
            `a backend waiting on a lock in ${Math.round((100 * lockWaits) / Math.max(1, samples))}% of samples`,
        );
      };
      await pool.query(sql.unsafe`TRUNCATE fact_sales_order, dim_date, dim_staff, dim_counterparty, dim_location,
        dim_currency, dim_design, pipeline.load_ledger, pipeline.dimension_version CASCADE`);
      await parts(`two parts of ${rows} fact rows side by side, empty warehouse`, 'pair-a', 1);
      await parts('two more parts side by side, shared dimensions already committed', 'pair-b', rows + 1);
      // The table grows with every part of a first load: a part's key check into a table holding
      // 2 × rows (the whole-table path re-reads them all; the new-rows path only its own).
      await time(
        `one more part of ${rows} into a table holding ${2 * rows}`,
        benchUnit('bench-3', '2024-01-01 00:00:00.000', 2 * rows + 1),
      );
    } finally {
      await second.end();
      await watcher.end();
    }
  } finally {
    await pool.end();
    await stop?.();
  }
}

await main();
