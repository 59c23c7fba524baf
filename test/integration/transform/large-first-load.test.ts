/**
 * Issue 18: a large first load is cut into units (extract: maxUnitRows changed rows per unit,
 * maxRunRows per run, the next run going on where the last stopped) and each unit into parts
 * (transform: maxFactRowsPerManifest). Each part loads alone into an empty warehouse, the parts
 * load in any order, and together the warehouse equals the source exactly (the reconcile oracle,
 * which never imports the transform). The budgets are small so a small source makes many units.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type ExtractedUnit, runExtract } from '../../../services/lambdas/extract/run-extract.ts';
import { applyProcessedUnit } from '../../../services/lambdas/load/apply.ts';
import { fetchProcessedUnit } from '../../../services/lambdas/load/read-unit.ts';
import { transformUnit } from '../../../services/lambdas/transform/unit.ts';
import { reconcile } from '../../../services/tools/ops/reconcile/index.ts';
import { seedSource } from '../../../services/tools/simulator/seed.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { unitPrefix } from '../../../shared/lake/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';

const INGESTION = 'first-load-ingestion';
const PROCESSED = 'first-load-processed';
const STATE = 'first-load-state';
/** Small budgets: a 0.03-scale source (about 1,400 rows) gives several runs, units and parts. */
const EXTRACT = { maxUnitRows: 300, maxRunRows: 800, partSize: 100, safetyMarginMs: 1_000 };
const MAX_FACT_ROWS_PER_MANIFEST = 120;

let aws: LocalAws;
let source: TestDatabase;
const warehouses: TestDatabase[] = [];
const units: ExtractedUnit[] = [];
let runs = 0;
let sourceRows = 0;
/** Processed manifests (one per part) of every unit. */
let parts: string[] = [];

async function emptyWarehouse(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  warehouses.push(db);
  await migrateWarehouse(db.pool);
  return db;
}

async function load(db: TestDatabase, key: string) {
  const fetched = await fetchProcessedUnit(aws.s3, PROCESSED, key);
  return applyProcessedUnit(db.pool, fetched.open());
}

async function manifestsUnder(prefix: string): Promise<string[]> {
  const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: PROCESSED, Prefix: prefix }));
  return (page.Contents ?? [])
    .map((o) => o.Key!)
    .filter((k) => k.endsWith('/manifest.json'))
    .sort();
}

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createBucket(INGESTION);
  await aws.createBucket(PROCESSED);
  await aws.createStateTable(STATE);
  source = await createTestDatabase('first_load_source');
  const seeded = await seedSource(source.pool, { scale: 0.03, seed: 18 });
  sourceRows = Object.values(seeded.counts).reduce((a, b) => a + b, 0);
  const deps = {
    pool: source.pool,
    s3: aws.s3,
    dynamo: dynamoDbDocumentClient(aws.dynamoDb),
    bucket: INGESTION,
    stateTable: STATE,
    logger: new Logger({ logLevel: 'SILENT' }),
  };
  for (;;) {
    const result = await runExtract(deps, EXTRACT);
    if (result.status !== 'extracted') break;
    runs++;
    units.push(...result.units);
    if (runs > 20) throw new Error('the backlog does not drain');
  }
  for (const unit of units) {
    const head = await aws.s3.send(new GetObjectCommand({ Bucket: INGESTION, Key: unit.manifestKey }));
    await transformUnit(
      { bucket: INGESTION, key: unit.manifestKey, eTag: head.ETag ?? '', eventName: 'ObjectCreated:Put' },
      { s3: aws.s3, processedBucket: PROCESSED, maxFactRowsPerManifest: MAX_FACT_ROWS_PER_MANIFEST },
    );
    parts.push(...(await manifestsUnder(unitPrefix(unit.runId))));
  }
  parts = [...new Set(parts)];
});

afterAll(async () => {
  for (const db of warehouses) await db.drop();
  await source?.drop();
  await aws?.stop();
});

describe('a large first load, cut into units and parts', () => {
  test('is extracted over several runs into units within the budgets, every source row once', () => {
    expect(runs).toBeGreaterThanOrEqual(Math.ceil(sourceRows / EXTRACT.maxRunRows));
    expect(units.length).toBeGreaterThanOrEqual(Math.ceil(sourceRows / EXTRACT.maxUnitRows));
    for (const unit of units) expect(unit.changedRows).toBeLessThanOrEqual(EXTRACT.maxUnitRows);
    expect(units.reduce((sum, u) => sum + u.changedRows, 0)).toBe(sourceRows);
    // Some units were split again by the transform.
    expect(parts.length).toBeGreaterThan(units.length);
  });

  test('each part loads alone into an empty warehouse (no foreign key missing)', async () => {
    for (const key of parts) {
      const db = await emptyWarehouse('first_load_part');
      expect([key, (await load(db, key)).status]).toEqual([key, 'applied']);
      await db.drop();
      warehouses.splice(warehouses.indexOf(db), 1);
    }
  });

  test('the parts loaded in any order give a warehouse equal to the source (reconcile)', async () => {
    // A fixed shuffle: last part first, then every other one, so units and parts interleave.
    const order = [...parts].reverse();
    const shuffled = [...order.filter((_, i) => i % 2 === 0), ...order.filter((_, i) => i % 2 === 1)];
    const db = await emptyWarehouse('first_load_all');
    for (const key of shuffled) expect((await load(db, key)).status).toBe('applied');
    const result = await reconcile(source.pool, db.pool);
    expect(result.mismatches).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
