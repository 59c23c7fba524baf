/**
 * A unit with more fact rows than maxFactRowsPerManifest becomes several processed manifests, each
 * its own load unit: together they carry every fact exactly once, each lists the dimension rows its
 * facts need (dim_transaction rows travel with the payments that reference them), and each loads
 * alone, atomically and in any order, into the warehouse.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { applyProcessedUnit } from '../../../services/lambdas/load/apply.ts';
import { fetchProcessedUnit } from '../../../services/lambdas/load/read-unit.ts';
import { planFactGroups, transformUnit } from '../../../services/lambdas/transform/unit.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import {
  manifestKey,
  type ProcessedManifest,
  processedPartManifestKey,
  type SourceValue,
} from '../../../shared/lake/index.ts';
import { readParquet } from '../../../shared/parquet/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';
import { type UnitTables, writeUnit } from './unit-builder.ts';

const INGESTION = 'split-ingestion';
const PROCESSED = 'split-processed';
const RUN = '20240301T000002000Z-split';
const ORDERS = 6;

const ids = Array.from({ length: ORDERS }, (_, i) => i + 1);
const day = (i: number) => `2024-01-${String(i).padStart(2, '0')}`;
const tables: UnitTables = {
  address: [{ address_id: 1 }],
  counterparty: [{ counterparty_id: 1 }],
  currency: [{ currency_id: 1 }],
  department: [{ department_id: 1 }],
  staff: [{ staff_id: 1 }],
  design: [{ design_id: 1 }],
  payment_type: [{ payment_type_id: 1 }],
  sales_order: ids.map((id) => ({ sales_order_id: id, agreed_delivery_date: day(id) })),
  transaction: ids.map((id) => ({ transaction_id: id, sales_order_id: id })),
  // Payments in reverse transaction order, so the group of a transaction is not its position.
  payment: ids.map((id) => ({
    payment_id: id,
    transaction_id: ORDERS + 1 - id,
    payment_date: day(id + 10),
  })) as Record<string, SourceValue>[],
};

let aws: LocalAws;
const databases: TestDatabase[] = [];
let manifests: { key: string; manifest: ProcessedManifest }[] = [];

async function readJson<T>(key: string): Promise<T> {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: PROCESSED, Key: key }));
  return JSON.parse(await response.Body!.transformToString()) as T;
}

async function listManifestKeys(): Promise<string[]> {
  const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: PROCESSED }));
  return (page.Contents ?? [])
    .map((o) => o.Key!)
    .filter((k) => k.endsWith('/manifest.json'))
    .sort();
}

async function warehouse(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  databases.push(db);
  await migrateWarehouse(db.pool);
  return db;
}

async function load(db: TestDatabase, key: string) {
  const fetched = await fetchProcessedUnit(aws.s3, PROCESSED, key);
  return applyProcessedUnit(db.pool, fetched.open());
}

const count = async (db: TestDatabase, table: string) =>
  Number(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`));

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createBucket(INGESTION);
  await aws.createBucket(PROCESSED);
  // Two rows per table object: sales_order ×3 parts, payment ×3 parts; at most 4 fact rows per
  // manifest gives 3 groups: [so1, so2], [so3, pay1], [pay2, pay3].
  const unit = await writeUnit(aws.s3, INGESTION, RUN, tables, { partRows: 2 });
  const result = await transformUnit(
    { bucket: INGESTION, key: unit.manifestKey, eTag: unit.eTag, eventName: 'ObjectCreated:Put' },
    { s3: aws.s3, processedBucket: PROCESSED, maxFactRowsPerManifest: 4 },
  );
  expect(result.manifests).toBe(3);
  const keys = await listManifestKeys();
  manifests = await Promise.all(keys.map(async (key) => ({ key, manifest: await readJson(key) })));
});

afterAll(async () => {
  for (const db of databases) await db.drop();
  await aws?.stop();
});

describe('splitting a large unit into several processed manifests', () => {
  test('plans groups from the ingestion manifest alone, whole objects in manifest order', () => {
    const plan = planFactGroups(
      [
        { table: 'address', key: 'a', rows: 50 },
        { table: 'sales_order', key: 's1', rows: 3 },
        { table: 'sales_order', key: 's2', rows: 2 },
        { table: 'payment', key: 'p1', rows: 9 },
        { table: 'payment', key: 'p2', rows: 1 },
      ],
      5,
    );
    expect(plan.groups).toBe(3);
    expect([...plan.groupOf]).toEqual([
      ['s1', 1],
      ['s2', 1],
      ['p1', 2],
      ['p2', 3],
    ]);
    expect(planFactGroups([{ table: 'sales_order', key: 's', rows: 4 }], 5).groups).toBe(1);
    expect(planFactGroups([{ table: 'address', key: 'a', rows: 9 }], 5).groups).toBe(1);
  });

  test('writes one manifest per group (no whole-unit manifest), each named by its own key', () => {
    expect(manifests.map((m) => m.key)).toEqual([1, 2, 3].map((g) => processedPartManifestKey(RUN, g)));
    expect(manifests.map((m) => m.key)).not.toContain(manifestKey(RUN));
    for (const { key, manifest } of manifests) {
      expect(manifest.unitId).toBe(key);
      expect(manifest.runId).toBe(RUN);
    }
  });

  test('every fact row is in exactly one manifest; each lists every dimension its facts need', async () => {
    const factKeys = manifests.flatMap((m) =>
      m.manifest.objects.filter((o) => o.table.startsWith('fact_')).map((o) => o.key),
    );
    expect(new Set(factKeys).size).toBe(factKeys.length);
    const rowsOf = (table: string) =>
      manifests
        .flatMap((m) => m.manifest.objects)
        .filter((o, i, all) => o.table === table && all.findIndex((x) => x.key === o.key) === i)
        .reduce((sum, o) => sum + o.rows, 0);
    expect(rowsOf('fact_sales_order')).toBe(ORDERS);
    expect(rowsOf('fact_payment')).toBe(ORDERS);
    expect(rowsOf('dim_transaction')).toBe(ORDERS);
    for (const { manifest } of manifests) {
      const tablesListed = new Set(manifest.objects.map((o) => o.table));
      for (const t of [
        'dim_date',
        'dim_staff',
        'dim_counterparty',
        'dim_currency',
        'dim_design',
        'dim_location',
      ])
        expect(tablesListed).toContain(t);
    }
    // The payments of each manifest reference only transactions listed in that same manifest.
    for (const { manifest } of manifests) {
      const rowsOfTable = async (table: string) => {
        const out: Record<string, unknown>[] = [];
        for (const o of manifest.objects.filter((x) => x.table === table)) {
          const body = await aws.s3.send(new GetObjectCommand({ Bucket: PROCESSED, Key: o.key }));
          out.push(...(await readParquet(await body.Body!.transformToByteArray())).rows);
        }
        return out;
      };
      const transactions = new Set((await rowsOfTable('dim_transaction')).map((r) => r.transaction_id));
      for (const payment of await rowsOfTable('fact_payment'))
        expect(transactions).toContain(payment.transaction_id);
    }
  });

  test('each manifest loads alone into an empty warehouse, atomically, with its own ledger row', async () => {
    for (const { key } of manifests) {
      const db = await warehouse('split_alone');
      const result = await load(db, key);
      expect(result.status).toBe('applied');
      const ledger = await db.pool.anyFirst(sql.unsafe`SELECT "unit_id" FROM "pipeline"."load_ledger"`);
      expect(ledger).toEqual([key]);
    }
  });

  test('loaded in any order (newest part first), the parts together give the whole unit once', async () => {
    const db = await warehouse('split_all');
    for (const { key } of [...manifests].reverse()) expect((await load(db, key)).status).toBe('applied');
    // A redelivered part is refused by the ledger.
    expect((await load(db, manifests[0]!.key)).status).toBe('already-applied');
    expect(await count(db, 'fact_sales_order')).toBe(ORDERS);
    expect(await count(db, 'fact_payment')).toBe(ORDERS);
    expect(await count(db, 'dim_transaction')).toBe(ORDERS);
    expect(await count(db, 'dim_staff')).toBe(1);
  });

  test('a re-run finds the unit done by its last manifest and writes nothing', async () => {
    const again = await transformUnit(
      { bucket: INGESTION, key: manifestKey(RUN), eTag: 'ignored', eventName: 'ObjectCreated:Put' },
      { s3: aws.s3, processedBucket: PROCESSED, maxFactRowsPerManifest: 4 },
    );
    expect(again.alreadyProcessed).toBe(true);
  });
});
