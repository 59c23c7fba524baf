/**
 * `totes rebuild --aws`: the deployment's processed bucket (aws-sdk-client-mock: an in-memory
 * bucket answering ListObjectsV2 two keys a page, GetObject and HeadObject), its live warehouse
 * found as the deployed load finds it (Lambda GetFunctionConfiguration → Secrets Manager), and a
 * real target warehouse on the embedded PostgreSQL, filled through the load's own code.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'slonik';
import { z } from 'zod';
import { rebuildCommand } from '../../../services/tools/cli/commands/rebuild.ts';
import { CannotRunError, UsageError } from '../../../services/tools/cli/errors.ts';
import { rebuildWarehouse } from '../../../services/tools/ops/rebuild/rebuild.ts';
import { pipelineResources } from '../../../shared/config/resources.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { putProcessedUnit } from '../load/lake.ts';
import { dimensionsFor, payment, salesOrder, unit } from '../load/units.ts';

const BUCKET = pipelineResources('totes', 'aws').buckets.processed;
const LOAD_FUNCTION = pipelineResources('totes', 'aws').functions.load.name;
const s3Mock = mockClient(S3Client);
const lambdaMock = mockClient(LambdaClient);
const secretsMock = mockClient(SecretsManagerClient);
const objects = new Map<string, Uint8Array>();

let target: TestDatabase;
let liveUrl = 'postgres://load:secret@live.example:5432/warehouse';

const V1 = '2024-02-29 10:00:00.123';
const V2 = '2024-03-01 09:30:00.000';
const runKey = (run: string) => `units/2024/03/01/20240301T0${run}0000000Z-test/manifest.json`;
const UNITS = [
  unit(
    runKey('1'),
    { ...dimensionsFor(V1), fact_sales_order: [salesOrder(1, V1), salesOrder(2, V1, 5, '3.10')] },
    V1,
  ),
  unit(runKey('2'), { ...dimensionsFor(V2), fact_sales_order: [salesOrder(1, V2, 7, '2.99')] }, V2),
  unit(runKey('3'), { ...dimensionsFor(V2), fact_payment: [payment(1, V2, true)] }, V2),
];

function bytesOf(body: unknown): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  return body as Uint8Array;
}

/** The in-memory bucket: S3's key order, pages of two keys, 404s as the SDK raises them. */
function serveBucket(): void {
  s3Mock.on(PutObjectCommand).callsFake((input) => {
    objects.set(input.Key as string, bytesOf(input.Body));
    return { ETag: '"etag"' };
  });
  s3Mock.on(ListObjectsV2Command).callsFake((input) => {
    expect(input.Bucket).toBe(BUCKET);
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + 2);
    const more = start + 2 < keys.length;
    return {
      Contents: page.map((Key) => ({ Key })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + 2) } : {}),
    };
  });
  s3Mock.on(GetObjectCommand).callsFake((input) => {
    const bytes = objects.get(input.Key as string);
    if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return {
      ContentLength: bytes.byteLength,
      Body: {
        transformToByteArray: async () => bytes,
        transformToString: async () => new TextDecoder().decode(bytes),
      },
    };
  });
  s3Mock.on(HeadObjectCommand).callsFake((input) => {
    if (!objects.has(input.Key as string))
      throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return {};
  });
}

function liveWarehouse(): void {
  lambdaMock
    .on(GetFunctionConfigurationCommand, { FunctionName: LOAD_FUNCTION })
    .resolves({ Environment: { Variables: { WAREHOUSE_SECRET_ID: 'totes-warehouse' } } });
  secretsMock
    .on(GetSecretValueCommand, { SecretId: 'totes-warehouse' })
    .callsFake(() => ({ SecretString: JSON.stringify({ url: liveUrl }) }));
}

function stderr(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function ledger(database: TestDatabase): Promise<readonly string[]> {
  return database.pool.anyFirst(
    sql.type(z.object({ unit_id: z.string() }))`SELECT unit_id FROM pipeline.load_ledger ORDER BY unit_id`,
  );
}

beforeAll(async () => {
  process.env.AWS_REGION ??= 'eu-west-2';
  s3Mock.reset();
  serveBucket();
  liveWarehouse();
  const writer = new S3Client({});
  for (const u of UNITS) await putProcessedUnit(writer, BUCKET, u);
  target = await createTestDatabase('rebuild_aws');
});

afterAll(async () => {
  await target?.drop();
  s3Mock.restore();
  lambdaMock.restore();
  secretsMock.restore();
});

describe('totes rebuild --aws', () => {
  it('lists every page, reads each unit with GetObject and applies it; a second run applies nothing', async () => {
    const err = stderr();
    const report = await rebuildCommand(
      { aws: true, prefix: 'totes', warehouseUrl: target.url, json: true },
      err.stream,
    );
    expect(report.lake).toBe(`s3://${BUCKET}`);
    expect(report.target).toBe('empty');
    expect(report.summary.units).toEqual({ listed: 3, applied: 3, alreadyApplied: 0, failed: 0 });
    expect(report.summary.rows.fact_sales_order).toEqual({ received: 3, inserted: 3, updated: 0 });
    expect(report.summary.rows.fact_payment).toEqual({ received: 1, inserted: 1, updated: 0 });
    expect(report.reconcile).toBeNull();
    expect(report.ok).toBe(true);
    expect(await ledger(target)).toEqual(UNITS.map((u) => u.manifest.unitId));
    // The newest version of each dimension row won.
    expect(
      await target.pool.oneFirst(sql.type(z.object({ v: z.string() }))`
        SELECT version::text AS v FROM pipeline.dimension_version WHERE dimension = 'dim_staff' AND id = 1`),
    ).toBe('2024-03-01 09:30:00');
    // 3 manifests + 18 Parquet objects, two a page: every page was asked for, in order.
    const tokens = s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.ContinuationToken);
    expect(tokens.slice(0, 3)).toEqual([undefined, '2', '4']);
    expect(s3Mock.commandCalls(GetObjectCommand).length).toBe(objects.size);
    expect(err.text()).toMatch(/rebuilding .* from s3:\/\/.*deployment totes/);
    expect(err.text()).toContain('rebuild: 3/3 units (100%), 3 applied, 0 already applied');

    const again = await rebuildCommand(
      { aws: true, prefix: 'totes', warehouseUrl: target.url, json: true },
      stderr().stream,
    );
    expect(again.target).toBe('resume');
    expect(again.summary.units).toEqual({ listed: 3, applied: 0, alreadyApplied: 3, failed: 0 });
    expect(await ledger(target)).toHaveLength(3);
  });

  it('refuses the warehouse the deployed load writes, and one it cannot tell apart from it', async () => {
    liveUrl = target.url.replace('127.0.0.1', 'localhost');
    const live = await rebuildCommand({ aws: true, warehouseUrl: target.url }, stderr().stream).catch(
      (e: unknown) => e,
    );
    expect(live).toBeInstanceOf(CannotRunError);
    expect((live as Error).message).toMatch(
      /is the live warehouse of deployment totes: rebuild into another/,
    );

    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException', $metadata: {} }));
    const unknown = await rebuildCommand({ aws: true, warehouseUrl: target.url }, stderr().stream).catch(
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(CannotRunError);
    expect((unknown as Error).message).toMatch(/cannot tell whether .* is the live warehouse .*pass --force/);
    // --force skips the lookup; the ledger makes the run a no-op.
    const forced = await rebuildCommand(
      { aws: true, warehouseUrl: target.url, force: true },
      stderr().stream,
    );
    expect(forced.summary.units.alreadyApplied).toBe(3);
    lambdaMock.reset();
    liveUrl = 'postgres://load:secret@live.example:5432/warehouse';
    liveWarehouse();
  });

  it('a unit that cannot be applied is named in the summary; the others are applied', async () => {
    const broken = unit(runKey('4'), { ...dimensionsFor(V2), fact_payment: [payment(2, V2, false)] }, V2);
    const fixed = unit(runKey('5'), { ...dimensionsFor(V2), fact_payment: [payment(2, V2, true)] }, V2);
    const writer = new S3Client({});
    await putProcessedUnit(writer, BUCKET, broken, { skipObjects: ['fact_payment'] });
    await putProcessedUnit(writer, BUCKET, fixed);
    const report = await rebuildCommand({ aws: true, warehouseUrl: target.url, json: true }, stderr().stream);
    expect(report.summary.units).toEqual({ listed: 5, applied: 1, alreadyApplied: 3, failed: 1 });
    expect(report.summary.failures).toEqual([
      {
        key: broken.manifest.unitId,
        message: expect.stringMatching(/fact_payment\.0001\.parquet does not exist/),
      },
    ]);
    expect(report.ok).toBe(false);
    expect(await ledger(target)).not.toContain(broken.manifest.unitId);
    expect(await ledger(target)).toContain(fixed.manifest.unitId);
  });

  it('stops between two units when asked (Ctrl-C); the next run applies the rest', async () => {
    const fresh = await createTestDatabase('rebuild_aws_stop');
    try {
      await migrateWarehouse(fresh.pool);
      const stop = new AbortController();
      const s3 = new S3Client({});
      const first = await rebuildWarehouse({
        s3,
        bucket: BUCKET,
        pool: fresh.pool,
        signal: stop.signal,
        onUnit: (event) => {
          if (event.done === 2) stop.abort();
        },
      });
      expect(first.interrupted).toBe(true);
      expect(first.units).toEqual({ listed: 2, applied: 2, alreadyApplied: 0, failed: 0 });
      expect(await ledger(fresh)).toHaveLength(2);
      const rest = await rebuildWarehouse({ s3, bucket: BUCKET, pool: fresh.pool });
      expect(rest.interrupted).toBe(false);
      // The bucket now holds 5 manifests, one of them broken (the test above).
      expect(rest.units).toEqual({ listed: 5, applied: 2, alreadyApplied: 2, failed: 1 });
    } finally {
      await fresh.drop();
    }
  });

  it('refuses before writing: rows not loaded from a lake, the source itself, a missing bucket or local lake', async () => {
    const hand = await createTestDatabase('rebuild_aws_hand');
    try {
      await hand.pool.query(sql.unsafe`CREATE TABLE dim_currency (currency_id int PRIMARY KEY)`);
      await hand.pool.query(sql.unsafe`INSERT INTO dim_currency VALUES (1)`);
      const refused = await rebuildCommand({ aws: true, warehouseUrl: hand.url }, stderr().stream).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(CannotRunError);
      expect((refused as Error).message).toMatch(/holds rows \(dim_currency\) but its load ledger is empty/);
      // Refused before the migrations: the database is as it was.
      expect(
        await hand.pool.oneFirst(
          sql.type(
            z.object({ ledger: z.string().nullable() }),
          )`SELECT to_regclass('pipeline.load_ledger')::text AS ledger`,
        ),
      ).toBeNull();
    } finally {
      await hand.drop();
    }

    const itself = await rebuildCommand(
      { aws: true, warehouseUrl: target.url, sourceUrl: target.url.replace('127.0.0.1', 'localhost') },
      stderr().stream,
    ).catch((e: unknown) => e);
    expect((itself as Error).message).toMatch(/names the source database/);

    s3Mock.on(ListObjectsV2Command, { Bucket: 'nope-processed' }).rejects(
      Object.assign(new Error('The specified bucket does not exist'), {
        name: 'NoSuchBucket',
        $metadata: {},
      }),
    );
    const fresh = await createTestDatabase('rebuild_aws_nobucket');
    try {
      const noBucket = await rebuildCommand(
        { aws: true, prefix: 'nope', warehouseUrl: fresh.url, force: true },
        stderr().stream,
      ).catch((e: unknown) => e);
      expect(noBucket).toBeInstanceOf(CannotRunError);
      expect((noBucket as Error).message).toMatch(/no bucket s3:\/\/nope-processed.*is --prefix right\?/);
    } finally {
      await fresh.drop();
    }

    const noLake = await rebuildCommand(
      { stateDir: path.join(tmpdir(), `totes-no-lake-${process.pid}`), warehouseUrl: target.url },
      stderr().stream,
    ).catch((e: unknown) => e);
    expect(noLake).toBeInstanceOf(UsageError);
    expect((noLake as Error).message).toMatch(/no local lake in .*totes-no-lake/);
  });
});
