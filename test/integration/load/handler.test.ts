/**
 * The load Lambda handler end to end on emulators: fauxqs S3 (processed bucket), dynalite
 * (idempotency + failure records) and the embedded PostgreSQL warehouse.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { sql } from 'slonik';
import { createLoadHandler } from '../../../services/lambdas/load/handler.ts';
import type { LoadDependencies } from '../../../services/lambdas/load/processor.ts';
import { freePort } from '../../../services/tools/local-runtime/embedded-postgres.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { failureStore } from '../../../shared/failures/index.ts';
import { HandlerSetupError } from '../../../shared/sqs-consumer/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import {
  captureStdout,
  lambdaContext,
  metricTotal,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
} from '../shared-sqs-consumer/events.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';
import { putProcessedUnit } from './lake.ts';
import { dimensionsFor, dumpWarehouse, ledger, payment, salesOrder, unit } from './units.ts';

const BUCKET = 'totes-processed';
const STATE = 'load-state';
const OLD = '2024-02-29 10:00:00.123';
const NEW = '2024-03-02 09:30:00.000';

let aws: LocalAws;
let db: TestDatabase;

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createBucket(BUCKET);
  await aws.createStateTable(STATE);
  db = await createTestDatabase('load_handler');
  await migrateWarehouse(db.pool);
});

afterAll(async () => {
  await db.drop();
  await aws.stop();
});

let tables = 0;
async function handlerWith(deps: Partial<LoadDependencies> = {}, idempotencyTable?: string) {
  const table = idempotencyTable ?? `load-idempotency-${++tables}`;
  if (!idempotencyTable) await aws.createIdempotencyTable(table);
  return {
    table,
    handler: createLoadHandler({
      env: { IDEMPOTENCY_TABLE: table, PIPELINE_STATE_TABLE: STATE, PROCESSED_BUCKET: BUCKET },
      dynamoDb: aws.dynamoDb,
      logger: new Logger({ serviceName: 'load-test' }),
      metrics: new Metrics({ namespace: 'totes-test', serviceName: 'load-test' }),
      deps: { pool: async () => db.pool, s3: () => aws.s3, ...deps },
    }),
  };
}

const failures = () => failureStore({ tableName: STATE, client: dynamoDbDocumentClient(aws.dynamoDb) });

function goodUnit(run: string, version = OLD) {
  return unit(
    `units/2024/02/29/${run}/manifest.json`,
    {
      ...dimensionsFor(version),
      fact_sales_order: [salesOrder(1, version)],
      fact_payment: [payment(1, version, version !== OLD)],
    },
    version,
  );
}

describe('load handler', () => {
  it('loads a unit from the processed bucket, skips the duplicate notification, and a lost idempotency record is caught by the ledger', async () => {
    const put = await putProcessedUnit(aws.s3, BUCKET, goodUnit('20240229T100500000Z-h1'));
    const body = s3NotificationBody([{ bucket: BUCKET, key: put.key, eTag: put.eTag }]);
    const { handler } = await handlerWith({ now: () => Date.parse('2024-02-29T10:30:00.123Z') });

    const first = await captureStdout(() => handler(sqsEvent([sqsRecord('m-1', body)]), lambdaContext()));
    expect(first.error).toBeUndefined();
    expect(first.result).toEqual({ batchItemFailures: [] });
    expect(metricTotal(first.lines, 'UnitsLoaded', 'load')).toBe(1);
    expect(metricTotal(first.lines, 'WarehouseFreshnessSeconds', 'load')).toBe(30 * 60);
    const rowsMetric = first.lines.find((l) => l.table === 'fact_sales_order' && 'RowsInserted' in l);
    expect(rowsMetric?.RowsInserted).toBe(1);
    const loaded = await dumpWarehouse(db.pool);
    expect(loaded.fact_sales_order).toHaveLength(1);
    expect(loaded.fact_payment).toEqual([
      {
        row: expect.objectContaining({ payment_amount: 257, last_updated_time: '10:00:00.123', paid: false }),
      },
    ]);
    expect(await ledger(db.pool)).toEqual([
      expect.objectContaining({ unit_id: put.key, newest_source_update: OLD }),
    ]);

    // S3 notified twice (a different SQS message): the idempotency record skips it.
    const duplicate = await captureStdout(() => handler(sqsEvent([sqsRecord('m-2', body)]), lambdaContext()));
    expect(duplicate.result).toEqual({ batchItemFailures: [] });
    expect(metricTotal(duplicate.lines, 'ObjectsSkippedDuplicate', 'load')).toBe(1);
    expect(metricTotal(duplicate.lines, 'UnitsLoaded', 'load')).toBe(0);

    // A crash after COMMIT and before COMPLETED leaves no usable idempotency record (here: a
    // handler on an empty idempotency table): the redelivery runs the load again, and the
    // ledger turns it into a no-op.
    const afterCrash = (await handlerWith()).handler;
    const redelivery = await captureStdout(() =>
      afterCrash(sqsEvent([sqsRecord('m-3', body, 2)]), lambdaContext()),
    );
    expect(redelivery.result).toEqual({ batchItemFailures: [] });
    expect(metricTotal(redelivery.lines, 'UnitsAlreadyApplied', 'load')).toBe(1);
    expect(await dumpWarehouse(db.pool)).toEqual(loaded);
  });

  it('a crash after COMMIT and before the idempotency record is COMPLETED: the redelivery changes nothing', async () => {
    const put = await putProcessedUnit(
      aws.s3,
      BUCKET,
      goodUnit('20240305T000000000Z-h6', '2024-03-05 00:00:00.000'),
    );
    const body = s3NotificationBody([{ bucket: BUCKET, key: put.key, eTag: put.eTag }]);
    let crash = true;
    const { handler } = await handlerWith({
      afterCommit: () => {
        if (crash) throw new Error('container died after COMMIT');
      },
    });
    const first = await captureStdout(() => handler(sqsEvent([sqsRecord('c-1', body)]), lambdaContext()));
    // The record failed (so SQS will redeliver it) although its transaction committed.
    expect(first.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'c-1' }] });
    const committed = await dumpWarehouse(db.pool);
    const committedLedger = await ledger(db.pool);
    expect(committedLedger).toContainEqual(expect.objectContaining({ unit_id: put.key }));

    crash = false;
    const redelivery = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('c-1', body, 2)]), lambdaContext()),
    );
    expect(redelivery.result).toEqual({ batchItemFailures: [] });
    expect(metricTotal(redelivery.lines, 'UnitsAlreadyApplied', 'load')).toBe(1);
    expect(await dumpWarehouse(db.pool)).toEqual(committed);
    expect(await ledger(db.pool)).toEqual(committedLedger);
  });

  it('fails only the poison record: a constraint violation with the database message recorded, a missing object by name', async () => {
    await db.pool.query(
      sql.unsafe`ALTER TABLE fact_payment ADD CONSTRAINT payment_amount_below_limit CHECK (payment_amount < 1000000)`,
    );
    try {
      const good = await putProcessedUnit(aws.s3, BUCKET, goodUnit('20240302T093500000Z-h2', NEW));
      const poisonUnit = unit('units/2024/03/03/20240303T000000000Z-h3/manifest.json', {
        ...dimensionsFor(OLD),
        fact_payment: [payment(7, OLD, true, '1000000.00')],
      });
      const poison = await putProcessedUnit(aws.s3, BUCKET, poisonUnit);
      const missing = await putProcessedUnit(
        aws.s3,
        BUCKET,
        unit('units/2024/03/03/20240303T000000000Z-h4/manifest.json', { ...dimensionsFor(OLD) }),
        { skipObjects: ['dim_staff'] },
      );
      const before = await ledger(db.pool);
      const { handler } = await handlerWith();
      const event = sqsEvent([
        sqsRecord('g', s3NotificationBody([{ bucket: BUCKET, key: good.key, eTag: good.eTag }])),
        sqsRecord('p', s3NotificationBody([{ bucket: BUCKET, key: poison.key, eTag: poison.eTag }]), 3),
        sqsRecord('m', s3NotificationBody([{ bucket: BUCKET, key: missing.key, eTag: missing.eTag }])),
      ]);
      const run = await captureStdout(() => handler(event, lambdaContext()));
      expect(run.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'p' }, { itemIdentifier: 'm' }] });
      expect(metricTotal(run.lines, 'UnitsFailed', 'load')).toBe(2);
      expect(metricTotal(run.lines, 'UnitsLoaded', 'load')).toBe(1);

      const poisonFailure = await failures().get('load', BUCKET, poison.key);
      expect(poisonFailure).toMatchObject({ errorClass: 'PermanentLoadError', attempt: 3, messageId: 'p' });
      expect(poisonFailure?.errorMessage).toContain(
        '[SQLSTATE 23514]: new row for relation "fact_payment" violates check constraint "payment_amount_below_limit"',
      );
      const missingFailure = await failures().get('load', BUCKET, missing.key);
      expect(missingFailure).toMatchObject({ errorClass: 'MissingObjectError' });
      expect(missingFailure?.errorMessage).toMatch(
        /dim_staff object named by .*: s3:\/\/totes-processed\/units\/.*\/dim_staff\.0001\.parquet does not exist/,
      );

      // Only the good unit reached the warehouse: no partial rows of the poison unit.
      expect((await ledger(db.pool)).length).toBe(before.length + 1);
      expect(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM fact_payment WHERE payment_id = 7`)).toBe(
        0,
      );
      expect(
        await db.pool.oneFirst(
          sql.unsafe`SELECT paid FROM fact_payment ORDER BY last_updated_date DESC LIMIT 1`,
        ),
      ).toBe(true);
    } finally {
      await db.pool.query(sql.unsafe`ALTER TABLE fact_payment DROP CONSTRAINT payment_amount_below_limit`);
    }
  });

  it('retries a warehouse it cannot reach, then fails the record with the connection error', async () => {
    const put = await putProcessedUnit(aws.s3, BUCKET, goodUnit('20240304T000000000Z-h5'));
    const closed = `postgres://totes:totes@127.0.0.1:${await freePort()}/nowhere`;
    const retries: number[] = [];
    const { handler } = await handlerWith({
      pool: () =>
        createDatabasePool(closed, { connectionTimeoutMs: 1_000 }).then(async (pool) => {
          pool.on('error', () => {});
          await migrateWarehouse(pool);
          return pool;
        }),
      retry: { attempts: 3, baseDelayMs: 10, onRetry: (_e, attempt) => retries.push(attempt) },
    });
    const run = await captureStdout(() =>
      handler(
        sqsEvent([sqsRecord('x', s3NotificationBody([{ bucket: BUCKET, key: put.key, eTag: put.eTag }]))]),
        lambdaContext(),
      ),
    );
    expect(run.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'x' }] });
    expect(retries).toEqual([1, 2]);
    const failure = await failures().get('load', BUCKET, put.key);
    expect(failure?.errorClass).toBe('TransientLoadError');
    expect(failure?.errorMessage).toMatch(/failed \(transient after 3 attempts\).*ECONNREFUSED/);
  });

  it.each([
    ['no warehouse configured', {}, 'WAREHOUSE_URL'],
    [
      'a MAX_OBJECT_BYTES that is not a positive integer',
      { WAREHOUSE_URL: 'postgres://x@127.0.0.1/db', MAX_OBJECT_BYTES: '64MB' },
      'MAX_OBJECT_BYTES',
    ],
  ] as const)(
    'a misconfiguration (%s) fails the invocation in init, counted for the alarms',
    async (_what, env, named) => {
      const put = await putProcessedUnit(aws.s3, BUCKET, goodUnit('20240305T000000000Z-h6'));
      const table = `load-idempotency-${++tables}`;
      await aws.createIdempotencyTable(table);
      const handler = createLoadHandler({
        env: { IDEMPOTENCY_TABLE: table, PIPELINE_STATE_TABLE: STATE, ...env },
        dynamoDb: aws.dynamoDb,
        logger: new Logger({ serviceName: 'load-test' }),
        metrics: new Metrics({ namespace: 'totes-test', serviceName: 'load-test' }),
        deps: { s3: () => aws.s3 },
      });
      const notification = s3NotificationBody([{ bucket: BUCKET, key: put.key, eTag: put.eTag }]);
      const { error, lines } = await captureStdout(() =>
        handler(sqsEvent([sqsRecord('c-1', notification), sqsRecord('c-2', notification)]), lambdaContext()),
      );
      expect(error).toBeInstanceOf(HandlerSetupError);
      expect((error as Error).message).toContain(named);
      expect(metricTotal(lines, 'RecordsFailed', 'load')).toBe(2);
      expect(metricTotal(lines, 'HandlerFailures', 'load')).toBe(1);
      // Nothing was attempted, so nothing is recorded against the object.
      expect(await failures().get('load', BUCKET, put.key)).toBeUndefined();
    },
  );
});
