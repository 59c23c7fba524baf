/**
 * Small processed units built in memory for the load tests: rows with exact values as the Parquet
 * reader returns them, and a manifest that lists them.
 */

import type { DatabasePool } from 'slonik';
import { sql } from 'slonik';
import type { ProcessedUnit, Row } from '../../../services/lambdas/load/apply.ts';
import { PROCESSED_MANIFEST_FORMAT, type ProcessedManifest } from '../../../shared/lake/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';

type Tables = Partial<Record<WarehouseTable, Row[]>>;

export function dateRow(date: string): Row {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  const weekday = day.getUTCDay();
  const name = (options: Intl.DateTimeFormatOptions) =>
    day.toLocaleDateString('en-GB', { ...options, timeZone: 'UTC' });
  return {
    date_id: date,
    year: y,
    month: m,
    day: d,
    day_of_week: weekday === 0 ? 7 : weekday,
    day_name: name({ weekday: 'long' }),
    month_name: name({ month: 'long' }),
    quarter: Math.floor((m - 1) / 3) + 1,
  };
}

export const staff = (id: number, version: string, department = 'Sales'): Row => ({
  staff_id: id,
  first_name: 'Jeremie',
  last_name: "O'Keefe",
  department_name: department,
  location: 'Manchester',
  email_address: `jeremie.o'keefe${id}@terrifictotes.com`,
  source_version: version,
});

export const location = (id: number, version: string, city = 'Aliso Viejo'): Row => ({
  location_id: id,
  address_line_1: '6826 Herzog Via',
  address_line_2: null,
  district: 'Avon',
  city,
  postal_code: '02850',
  country: 'Austria',
  phone: '1803 637401',
  source_version: version,
});

export const counterparty = (id: number, version: string, city = 'Aliso Viejo'): Row => ({
  counterparty_id: id,
  counterparty_legal_name: 'Leannon, Predovic and Morar',
  counterparty_legal_address_line_1: '6826 Herzog Via',
  counterparty_legal_address_line_2: null,
  counterparty_legal_district: null,
  counterparty_legal_city: city,
  counterparty_legal_postal_code: '28441',
  counterparty_legal_country: 'Austria',
  counterparty_legal_phone_number: '1803 637401',
  source_version: version,
});

export const currency = (id: number, version: string): Row => ({
  currency_id: id,
  currency_code: 'GBP',
  currency_name: 'British Pound',
  source_version: version,
});

export const design = (id: number, version: string, name = 'Steel'): Row => ({
  design_id: id,
  design_name: name,
  file_location: '/usr/local/src',
  file_name: `${name.toLowerCase()}-20221103-a1b2.json`,
  source_version: version,
});

export const transaction = (id: number, version: string, salesOrderId: number): Row => ({
  transaction_id: id,
  transaction_type: 'SALE',
  sales_order_id: salesOrderId,
  purchase_order_id: null,
  source_version: version,
});

export const paymentType = (id: number, version: string): Row => ({
  payment_type_id: id,
  payment_type_name: 'SALES_RECEIPT',
  source_version: version,
});

/** A sales order version: created 2024-02-29 10:00:00.123, last updated at `updated`. */
export function salesOrder(id: number, updated: string, unitsSold = 100, unitPrice = '2.57'): Row {
  const [date, time] = updated.split(' ') as [string, string];
  return {
    sales_order_id: id,
    created_date: '2024-02-29',
    created_time: '10:00:00.123',
    last_updated_date: date,
    last_updated_time: time,
    sales_staff_id: 1,
    counterparty_id: 1,
    units_sold: unitsSold,
    unit_price: unitPrice,
    currency_id: 1,
    design_id: 1,
    agreed_payment_date: '2024-03-01',
    agreed_delivery_date: '2024-03-04',
    agreed_delivery_location_id: 1,
  };
}

export function payment(id: number, updated: string, paid: boolean, amount = '257.00'): Row {
  const [date, time] = updated.split(' ') as [string, string];
  return {
    payment_id: id,
    created_date: '2024-02-29',
    created_time: '10:00:00.123',
    last_updated_date: date,
    last_updated_time: time,
    transaction_id: id,
    counterparty_id: 1,
    payment_amount: amount,
    currency_id: 1,
    payment_type_id: 1,
    paid,
    payment_date: '2024-03-01',
  };
}

/** The dimension rows every fact above references, at `version`, plus their dates. */
export function dimensionsFor(version: string, dates: readonly string[] = []): Tables {
  const all = ['2024-02-29', '2024-03-01', '2024-03-04', ...dates, version.slice(0, 10)];
  return {
    dim_date: [...new Set(all)].map(dateRow),
    dim_staff: [staff(1, version)],
    dim_location: [location(1, version)],
    dim_currency: [currency(1, version)],
    dim_design: [design(1, version)],
    dim_counterparty: [counterparty(1, version)],
    dim_transaction: [transaction(1, version, 1), transaction(2, version, 2)],
    dim_payment_type: [paymentType(1, version)],
  };
}

export function unit(
  unitId: string,
  tables: Tables,
  newestSourceUpdate: string | null = null,
): ProcessedUnit {
  const runId = unitId.split('/').at(-2) ?? '20240229T100000123Z-test';
  const manifest: ProcessedManifest = {
    format: PROCESSED_MANIFEST_FORMAT,
    unitId,
    runId,
    source: { bucket: 'ingestion', key: unitId, eTag: '"etag"' },
    newestSourceUpdate,
    objects: Object.entries(tables).map(([table, rows]) => ({
      table: table as WarehouseTable,
      key: `${unitId.replace(/manifest\.json$/, '')}${table}.0001.parquet`,
      rows: rows.length,
    })),
  };
  return { manifest, tables };
}

/** Every warehouse table and the pipeline's dimension versions, in a stable order, without the
 * fact surrogate keys (they depend on insertion order by design). */
export async function dumpWarehouse(pool: DatabasePool): Promise<Record<string, unknown[]>> {
  const q = async (query: ReturnType<typeof sql.unsafe>) => [...(await pool.any(query))];
  return {
    dim_date: await q(sql.unsafe`SELECT * FROM dim_date ORDER BY date_id`),
    dim_staff: await q(sql.unsafe`SELECT * FROM dim_staff ORDER BY staff_id`),
    dim_location: await q(sql.unsafe`SELECT * FROM dim_location ORDER BY location_id`),
    dim_currency: await q(sql.unsafe`SELECT * FROM dim_currency ORDER BY currency_id`),
    dim_design: await q(sql.unsafe`SELECT * FROM dim_design ORDER BY design_id`),
    dim_counterparty: await q(sql.unsafe`SELECT * FROM dim_counterparty ORDER BY counterparty_id`),
    dim_transaction: await q(sql.unsafe`SELECT * FROM dim_transaction ORDER BY transaction_id`),
    dim_payment_type: await q(sql.unsafe`SELECT * FROM dim_payment_type ORDER BY payment_type_id`),
    fact_sales_order: await q(sql.unsafe`
      SELECT to_jsonb(f) - 'sales_record_id' AS row FROM fact_sales_order f
      ORDER BY sales_order_id, last_updated_date, last_updated_time`),
    fact_purchase_order: await q(sql.unsafe`
      SELECT to_jsonb(f) - 'purchase_record_id' AS row FROM fact_purchase_order f
      ORDER BY purchase_order_id, last_updated_date, last_updated_time`),
    fact_payment: await q(sql.unsafe`
      SELECT to_jsonb(f) - 'payment_record_id' AS row FROM fact_payment f
      ORDER BY payment_id, last_updated_date, last_updated_time`),
    dimension_version: await q(sql.unsafe`SELECT * FROM pipeline.dimension_version ORDER BY dimension, id`),
  };
}

export async function ledger(pool: DatabasePool): Promise<unknown[]> {
  return [
    ...(await pool.any(
      sql.unsafe`SELECT unit_id, run_id, rows, newest_source_update FROM pipeline.load_ledger ORDER BY unit_id`,
    )),
  ];
}
