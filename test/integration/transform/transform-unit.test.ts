/**
 * One unit through transformUnit against the S3 emulator; every Parquet file it writes is read back
 * by DuckDB (an independent reader) and by shared/parquet, and checked against (a) the warehouse
 * DDL as PostgreSQL itself reports it (information_schema on a migrated warehouse) and (b) the
 * source values, with expectations written out here, not derived by the code under test.
 */

import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { transformUnit } from '../../../services/lambdas/transform/unit.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import type { ProcessedManifest } from '../../../shared/lake/index.ts';
import { parquetColumns, readParquet } from '../../../shared/parquet/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';
import { readWithDuckDb } from './duckdb.ts';
import { type UnitTables, writeUnit } from './unit-builder.ts';

const INGESTION = 'tu-ingestion';
const PROCESSED = 'tu-processed';
const RUN = '20240301T000001000Z-full';
const T0 = '2022-11-03 14:20:49.962';
const ADDRESS_CHANGED = '2024-02-29 08:00:00.500';
const DEPARTMENT_CHANGED = '2024-03-01 00:00:00.000';

let aws: LocalAws;
let db: TestDatabase;

const tables: UnitTables = {
  address: [
    { address_id: 1, postal_code: '01234', address_line_2: null, district: null, city: 'Aliso Viejo' },
    {
      address_id: 2,
      address_line_1: '179 Alexie Cliffs',
      address_line_2: 'Flat 3',
      district: 'Avon',
      city: 'Lake Charles',
      postal_code: '99305-7380',
      country: 'Falkland Islands (Malvinas)',
      phone: '9621 880720',
      last_updated: ADDRESS_CHANGED,
    },
  ],
  counterparty: [
    { counterparty_id: 1, counterparty_legal_name: 'Leannon, Predovic and Morar', legal_address_id: 2 },
    { counterparty_id: 2, counterparty_legal_name: "O'Keefe - Lakin", legal_address_id: 2 },
    { counterparty_id: 3, counterparty_legal_name: 'Fahey and Sons', legal_address_id: 1 },
  ],
  department: [
    { department_id: 1, department_name: 'Sales', location: 'Manchester' },
    { department_id: 4, department_name: 'Dispatch', location: 'Leds', last_updated: DEPARTMENT_CHANGED },
  ],
  staff: [
    {
      staff_id: 1,
      first_name: 'Rhiannon',
      last_name: "O'Keefe",
      department_id: 4,
      email_address: 'rhiannon.okeefe@terrifictotes.com',
    },
    {
      staff_id: 2,
      first_name: 'Jeremie',
      last_name: 'Franey',
      department_id: 1,
      email_address: 'jeremie.franey@terrifictotes.com',
    },
  ],
  currency: [
    { currency_id: 1, currency_code: 'GBP' },
    { currency_id: 2, currency_code: 'USD' },
    { currency_id: 3, currency_code: 'EUR' },
  ],
  design: [
    { design_id: 1, design_name: 'Wooden', file_location: '/usr', file_name: 'wooden-20220717-npgz.json' },
  ],
  payment_type: [
    { payment_type_id: 1, payment_type_name: 'SALES_RECEIPT' },
    { payment_type_id: 3, payment_type_name: 'PURCHASE_PAYMENT' },
  ],
  sales_order: [
    {
      sales_order_id: 1,
      created_at: '2023-12-31 23:59:59.999',
      last_updated: '2024-01-01 00:00:00.000',
      design_id: 1,
      staff_id: 1,
      counterparty_id: 1,
      units_sold: 1000,
      unit_price: '2.57',
      currency_id: 1,
      agreed_delivery_date: '2024-02-29',
      agreed_payment_date: '2024-03-31',
      agreed_delivery_location_id: 1,
    },
    {
      sales_order_id: 2,
      created_at: '2024-04-01 12:00:00.001',
      last_updated: '2024-04-01 12:00:00.001',
      design_id: 1,
      staff_id: 2,
      counterparty_id: 3,
      units_sold: 100000,
      unit_price: '0.29',
      currency_id: 2,
      agreed_delivery_date: '2024-04-08',
      agreed_payment_date: '2024-04-02',
      agreed_delivery_location_id: 2,
    },
  ],
  purchase_order: [
    {
      purchase_order_id: 1,
      staff_id: 2,
      counterparty_id: 2,
      item_code: 'ZDOI5EA',
      item_quantity: 3,
      item_unit_price: '12.345',
      currency_id: 3,
      agreed_delivery_date: '2022-11-09',
      agreed_payment_date: '2022-11-07',
      agreed_delivery_location_id: 1,
    },
    {
      purchase_order_id: 2,
      staff_id: 1,
      counterparty_id: 3,
      item_code: 'A1B2C3D',
      item_quantity: 1,
      item_unit_price: '123456789.01',
      currency_id: 1,
      agreed_delivery_date: '2022-11-10',
      agreed_payment_date: '2022-11-08',
      agreed_delivery_location_id: 2,
    },
  ],
  transaction: [
    { transaction_id: 1, transaction_type: 'SALE', sales_order_id: 1, purchase_order_id: null },
    { transaction_id: 3, transaction_type: 'PURCHASE', sales_order_id: null, purchase_order_id: 1 },
  ],
  payment: [
    {
      payment_id: 1,
      transaction_id: 1,
      counterparty_id: 1,
      payment_amount: '2570.00',
      currency_id: 1,
      payment_type_id: 1,
      paid: false,
      payment_date: '2024-03-31',
    },
    {
      payment_id: 3,
      transaction_id: 3,
      counterparty_id: 2,
      payment_amount: '37.035',
      currency_id: 3,
      payment_type_id: 3,
      paid: true,
      payment_date: '2022-11-07',
    },
    {
      payment_id: 4,
      transaction_id: 3,
      counterparty_id: 3,
      payment_amount: '123456789.01',
      currency_id: 1,
      payment_type_id: 3,
      paid: false,
      payment_date: '2022-11-08',
    },
    {
      payment_id: 5,
      transaction_id: 1,
      counterparty_id: 1,
      payment_amount: '0.29',
      currency_id: 2,
      payment_type_id: 1,
      paid: true,
      payment_date: '2022-11-05',
    },
  ],
};

/** What each warehouse table must contain, written out by hand from `tables` and spec §2. */
const expected: Record<string, Record<string, unknown>[]> = {
  dim_location: [
    {
      location_id: 1,
      address_line_1: '6826 Herzog Via',
      address_line_2: null,
      district: null,
      city: 'Aliso Viejo',
      postal_code: '01234',
      country: 'Turkey',
      phone: '1803 637401',
      source_version: T0,
    },
    {
      location_id: 2,
      address_line_1: '179 Alexie Cliffs',
      address_line_2: 'Flat 3',
      district: 'Avon',
      city: 'Lake Charles',
      postal_code: '99305-7380',
      country: 'Falkland Islands (Malvinas)',
      phone: '9621 880720',
      source_version: ADDRESS_CHANGED,
    },
  ],
  dim_counterparty: [
    {
      counterparty_id: 1,
      counterparty_legal_name: 'Leannon, Predovic and Morar',
      counterparty_legal_address_line_1: '179 Alexie Cliffs',
      counterparty_legal_address_line_2: 'Flat 3',
      counterparty_legal_district: 'Avon',
      counterparty_legal_city: 'Lake Charles',
      counterparty_legal_postal_code: '99305-7380',
      counterparty_legal_country: 'Falkland Islands (Malvinas)',
      counterparty_legal_phone_number: '9621 880720',
      source_version: ADDRESS_CHANGED,
    },
    {
      counterparty_id: 2,
      counterparty_legal_name: "O'Keefe - Lakin",
      counterparty_legal_address_line_1: '179 Alexie Cliffs',
      counterparty_legal_address_line_2: 'Flat 3',
      counterparty_legal_district: 'Avon',
      counterparty_legal_city: 'Lake Charles',
      counterparty_legal_postal_code: '99305-7380',
      counterparty_legal_country: 'Falkland Islands (Malvinas)',
      counterparty_legal_phone_number: '9621 880720',
      source_version: ADDRESS_CHANGED,
    },
    {
      counterparty_id: 3,
      counterparty_legal_name: 'Fahey and Sons',
      counterparty_legal_address_line_1: '6826 Herzog Via',
      counterparty_legal_address_line_2: null,
      counterparty_legal_district: null,
      counterparty_legal_city: 'Aliso Viejo',
      counterparty_legal_postal_code: '01234',
      counterparty_legal_country: 'Turkey',
      counterparty_legal_phone_number: '1803 637401',
      source_version: T0,
    },
  ],
  dim_staff: [
    {
      staff_id: 1,
      first_name: 'Rhiannon',
      last_name: "O'Keefe",
      department_name: 'Dispatch',
      location: 'Leds',
      email_address: 'rhiannon.okeefe@terrifictotes.com',
      source_version: DEPARTMENT_CHANGED,
    },
    {
      staff_id: 2,
      first_name: 'Jeremie',
      last_name: 'Franey',
      department_name: 'Sales',
      location: 'Manchester',
      email_address: 'jeremie.franey@terrifictotes.com',
      source_version: T0,
    },
  ],
  dim_currency: [
    { currency_id: 1, currency_code: 'GBP', currency_name: 'British Pound', source_version: T0 },
    { currency_id: 2, currency_code: 'USD', currency_name: 'US Dollar', source_version: T0 },
    { currency_id: 3, currency_code: 'EUR', currency_name: 'Euro', source_version: T0 },
  ],
  dim_design: [
    {
      design_id: 1,
      design_name: 'Wooden',
      file_location: '/usr',
      file_name: 'wooden-20220717-npgz.json',
      source_version: T0,
    },
  ],
  dim_payment_type: [
    { payment_type_id: 1, payment_type_name: 'SALES_RECEIPT', source_version: T0 },
    { payment_type_id: 3, payment_type_name: 'PURCHASE_PAYMENT', source_version: T0 },
  ],
  dim_transaction: [
    {
      transaction_id: 1,
      transaction_type: 'SALE',
      sales_order_id: 1,
      purchase_order_id: null,
      source_version: T0,
    },
    {
      transaction_id: 3,
      transaction_type: 'PURCHASE',
      sales_order_id: null,
      purchase_order_id: 1,
      source_version: T0,
    },
  ],
  dim_date: [
    ['2022-11-03', 2022, 11, 3, 4, 'Thursday', 'November', 4],
    ['2022-11-05', 2022, 11, 5, 6, 'Saturday', 'November', 4],
    ['2022-11-07', 2022, 11, 7, 1, 'Monday', 'November', 4],
    ['2022-11-08', 2022, 11, 8, 2, 'Tuesday', 'November', 4],
    ['2022-11-09', 2022, 11, 9, 3, 'Wednesday', 'November', 4],
    ['2022-11-10', 2022, 11, 10, 4, 'Thursday', 'November', 4],
    ['2023-12-31', 2023, 12, 31, 7, 'Sunday', 'December', 4],
    ['2024-01-01', 2024, 1, 1, 1, 'Monday', 'January', 1],
    ['2024-02-29', 2024, 2, 29, 4, 'Thursday', 'February', 1],
    ['2024-03-31', 2024, 3, 31, 7, 'Sunday', 'March', 1],
    ['2024-04-01', 2024, 4, 1, 1, 'Monday', 'April', 2],
    ['2024-04-02', 2024, 4, 2, 2, 'Tuesday', 'April', 2],
    ['2024-04-08', 2024, 4, 8, 1, 'Monday', 'April', 2],
  ].map(([date_id, year, month, day, day_of_week, day_name, month_name, quarter]) => ({
    date_id,
    year,
    month,
    day,
    day_of_week,
    day_name,
    month_name,
    quarter,
  })),
  fact_sales_order: [
    {
      sales_order_id: 1,
      created_date: '2023-12-31',
      created_time: '23:59:59.999',
      last_updated_date: '2024-01-01',
      last_updated_time: '00:00:00.000',
      sales_staff_id: 1,
      counterparty_id: 1,
      units_sold: 1000,
      unit_price: '2.57',
      currency_id: 1,
      design_id: 1,
      agreed_payment_date: '2024-03-31',
      agreed_delivery_date: '2024-02-29',
      agreed_delivery_location_id: 1,
    },
    {
      sales_order_id: 2,
      created_date: '2024-04-01',
      created_time: '12:00:00.001',
      last_updated_date: '2024-04-01',
      last_updated_time: '12:00:00.001',
      sales_staff_id: 2,
      counterparty_id: 3,
      units_sold: 100000,
      unit_price: '0.29',
      currency_id: 2,
      design_id: 1,
      agreed_payment_date: '2024-04-02',
      agreed_delivery_date: '2024-04-08',
      agreed_delivery_location_id: 2,
    },
  ],
  fact_purchase_order: [
    {
      purchase_order_id: 1,
      created_date: '2022-11-03',
      created_time: '14:20:49.962',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:49.962',
      staff_id: 2,
      counterparty_id: 2,
      item_code: 'ZDOI5EA',
      item_quantity: 3,
      item_unit_price: '12.345',
      currency_id: 3,
      agreed_delivery_date: '2022-11-09',
      agreed_payment_date: '2022-11-07',
      agreed_delivery_location_id: 1,
    },
    {
      purchase_order_id: 2,
      created_date: '2022-11-03',
      created_time: '14:20:49.962',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:49.962',
      staff_id: 1,
      counterparty_id: 3,
      item_code: 'A1B2C3D',
      item_quantity: 1,
      item_unit_price: '123456789.01',
      currency_id: 1,
      agreed_delivery_date: '2022-11-10',
      agreed_payment_date: '2022-11-08',
      agreed_delivery_location_id: 2,
    },
  ],
  fact_payment: [
    {
      payment_id: 1,
      created_date: '2022-11-03',
      created_time: '14:20:49.962',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:49.962',
      transaction_id: 1,
      counterparty_id: 1,
      payment_amount: '2570.00',
      currency_id: 1,
      payment_type_id: 1,
      paid: false,
      payment_date: '2024-03-31',
    },
    {
      payment_id: 3,
      created_date: '2022-11-03',
      created_time: '14:20:49.962',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:49.962',
      transaction_id: 3,
      counterparty_id: 2,
      payment_amount: '37.035',
      currency_id: 3,
      payment_type_id: 3,
      paid: true,
      payment_date: '2022-11-07',
    },
    {
      payment_id: 4,
      created_date: '2022-11-03',
      created_time: '14:20:49.962',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:49.962',
      transaction_id: 3,
      counterparty_id: 3,
      payment_amount: '123456789.01',
      currency_id: 1,
      payment_type_id: 3,
      paid: false,
      payment_date: '2022-11-08',
    },
    {
      payment_id: 5,
      created_date: '2022-11-03',
      created_time: '14:20:49.962',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:49.962',
      transaction_id: 1,
      counterparty_id: 1,
      payment_amount: '0.29',
      currency_id: 2,
      payment_type_id: 1,
      paid: true,
      payment_date: '2022-11-05',
    },
  ],
};

/** Unbounded numerics come back at the file's scale ('2570.000' in a scale-3 file): compare exactly as numbers written in decimal. */
const canonicalDecimal = (value: unknown) =>
  typeof value === 'string' && /^-?\d+\.\d+$/.test(value)
    ? value.replace(/0+$/, '').replace(/\.$/, '')
    : value;
const canonicalRows = (rows: readonly Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, canonicalDecimal(v)])));

/** PostgreSQL's own description of the warehouse columns → the DuckDB type the Parquet must have. */
interface WarehouseColumn {
  readonly name: string;
  readonly duckType: string;
  readonly nullable: boolean;
}
let warehouse: Record<string, WarehouseColumn[]>;
let manifest: ProcessedManifest;
const files = new Map<string, Uint8Array>();

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createBucket(INGESTION);
  await aws.createBucket(PROCESSED);
  db = await createTestDatabase('transform_types');
  await migrateWarehouse(db.pool);
  const columns = await db.pool.any(sql.unsafe`
    SELECT table_name, column_name, data_type, numeric_precision, numeric_scale, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`);
  warehouse = {};
  for (const c of columns as readonly Record<string, unknown>[]) {
    if (String(c.column_default ?? '').startsWith('nextval(')) continue; // serial surrogate keys
    const type = String(c.data_type);
    const duckType =
      type === 'integer'
        ? 'INTEGER'
        : type === 'character varying'
          ? 'VARCHAR'
          : type === 'date'
            ? 'DATE'
            : type.startsWith('time without')
              ? 'TIME'
              : type === 'boolean'
                ? 'BOOLEAN'
                : type === 'numeric'
                  ? c.numeric_precision === null
                    ? 'DECIMAL(*)'
                    : `DECIMAL(${c.numeric_precision},${c.numeric_scale})`
                  : `?${type}`;
    const table = String(c.table_name);
    warehouse[table] ??= [];
    warehouse[table].push({ name: String(c.column_name), duckType, nullable: c.is_nullable === 'YES' });
  }

  const unit = await writeUnit(aws.s3, INGESTION, RUN, tables);
  const result = await transformUnit(
    { bucket: INGESTION, key: unit.manifestKey, eTag: unit.eTag, eventName: 'ObjectCreated:Put' },
    { s3: aws.s3, processedBucket: PROCESSED },
  );
  expect(result.alreadyProcessed).toBe(false);
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: PROCESSED }));
  for (const object of listed.Contents ?? []) {
    const got = await aws.s3.send(new GetObjectCommand({ Bucket: PROCESSED, Key: object.Key! }));
    files.set(object.Key!, await got.Body!.transformToByteArray());
  }
  manifest = JSON.parse(new TextDecoder().decode(files.get(result.unitId)));
});

afterAll(async () => {
  await aws.stop();
  await db.drop();
});

describe('transformUnit output', () => {
  test('the processed manifest lists one file per warehouse table, dimensions first, and nothing else is written', () => {
    expect(manifest).toMatchObject({
      format: 'totes.processed.manifest.v1',
      unitId: `units/2024/03/01/${RUN}/manifest.json`,
      runId: RUN,
      source: { bucket: INGESTION, key: `units/2024/03/01/${RUN}/manifest.json` },
      newestSourceUpdate: '2024-04-01 12:00:00.001',
    });
    expect(manifest.objects.map((o) => o.table)).toEqual([
      'dim_date',
      'dim_location',
      'dim_counterparty',
      'dim_staff',
      'dim_currency',
      'dim_design',
      'dim_payment_type',
      'dim_transaction',
      'fact_sales_order',
      'fact_purchase_order',
      'fact_payment',
    ]);
    for (const o of manifest.objects) {
      expect(o.key).toBe(`units/2024/03/01/${RUN}/${o.table}.0001.parquet`);
      expect(o.rows).toBe(expected[o.table]!.length);
    }
    expect([...files.keys()].sort()).toEqual([...manifest.objects.map((o) => o.key), manifest.unitId].sort());
  });

  test.each(Object.keys(expected))(
    '%s: DuckDB sees the warehouse types and every source value',
    async (table) => {
      const key = manifest.objects.find((o) => o.table === table)!.key;
      const view = await readWithDuckDb(files.get(key)!);
      const columns = warehouse[table]!;
      const isDimension = table.startsWith('dim_') && table !== 'dim_date';
      expect(Object.keys(view.types)).toEqual([
        ...columns.map((c) => c.name),
        ...(isDimension ? ['source_version'] : []),
      ]);
      for (const c of columns) {
        if (c.duckType === 'DECIMAL(*)') expect(view.types[c.name]).toMatch(/^DECIMAL\(\d+,\d+\)$/);
        else expect(`${c.name} ${view.types[c.name]}`).toBe(`${c.name} ${c.duckType}`);
      }
      if (isDimension) expect(view.types.source_version).toBe('TIMESTAMP');
      expect(canonicalRows(view.rows)).toEqual(canonicalRows(expected[table]!));
    },
  );

  test.each(Object.keys(expected))(
    '%s: shared/parquet reads the same exact values and the DDL nullability',
    async (table) => {
      const key = manifest.objects.find((o) => o.table === table)!.key;
      const buffer = files.get(key)!;
      const back = await readParquet(buffer);
      expect(canonicalRows(back.rows)).toEqual(canonicalRows(expected[table]!));
      const nullability = Object.fromEntries(parquetColumns(buffer).map((c) => [c.name, c.nullable]));
      for (const c of warehouse[table]!)
        expect(`${c.name} ${nullability[c.name]}`).toBe(`${c.name} ${c.nullable}`);
    },
  );

  test('money is exact: 2.57 and 0.29 in DECIMAL(10,2); 12.345 and 123456789.01 in the unbounded columns', async () => {
    const read = async (table: string) =>
      readParquet(files.get(manifest.objects.find((o) => o.table === table)!.key)!);
    expect((await read('fact_sales_order')).rows.map((r) => r.unit_price)).toEqual(['2.57', '0.29']);
    expect((await read('fact_purchase_order')).rows.map((r) => r.item_unit_price)).toEqual([
      '12.345',
      '123456789.010',
    ]);
    expect((await read('fact_payment')).rows.map((r) => r.payment_amount)).toEqual([
      '2570.000',
      '37.035',
      '123456789.010',
      '0.290',
    ]);
  });
});
