/**
 * A database that stops answering, or drops connections, fails what was being done with it (the
 * record, retried then DLQ; the command with exit 2), never the process (issue 18: `totes run
 * --once` at scale 100 died with `unexpected error (a bug): Error: timeout expired`, exit 70).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { sql } from 'slonik';
import { createLoadHandler } from '../../../services/lambdas/load/handler.ts';
import { exitCodeOf, expectedErrorMessage } from '../../../services/tools/cli/errors.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { DatabaseUnreachableError } from '../../../shared/db/errors.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { failureStore } from '../../../shared/failures/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { startUnresponsiveServer, type UnresponsiveServer } from '../../support/unresponsive-server.ts';
import { putProcessedUnit } from '../load/lake.ts';
import { dimensionsFor, salesOrder, unit } from '../load/units.ts';
import {
  captureStdout,
  lambdaContext,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
} from '../shared-sqs-consumer/events.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';

let db: TestDatabase;
let server: UnresponsiveServer;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  db = await createTestDatabase('unresponsive');
  server = await startUnresponsiveServer(db.url);
  process.on('uncaughtException', onUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await server.close();
  await db.drop();
});

beforeEach(() => {
  server.behaviour = 'forward';
  uncaught.length = 0;
});

/** Lets socket events that are already queued run (an uncaught error would surface here). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('a database that stops answering', () => {
  it('creating a pool fails with DatabaseUnreachableError, a one-line exit 2 in the CLI', async () => {
    server.behaviour = 'stall';
    const error = await createDatabasePool(server.url, { connectionTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toMatch(
      /^cannot reach the database at 127\.0\.0\.1:\d+\/t_unresponsive_\w+: no answer within the connection timeout \(300 ms\)$/,
    );
    expect(expectedErrorMessage(error)).toBe((error as Error).message);
    expect(exitCodeOf(error)).toBe(2);
  });

  it('a connection reset while the pool is created rejects the call and leaves no uncaught error', async () => {
    server.behaviour = 'reset-on-query';
    const error = await createDatabasePool(server.url, { connectionTimeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    await settle();
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toMatch(/ECONNRESET/);
    expect(uncaught).toEqual([]);
  });

  it('a pool whose server stops answering fails the query with a connection error the CLI names', async () => {
    const pool = await createDatabasePool(server.url, { connectionTimeoutMs: 300, idleTimeoutMs: 50 });
    try {
      expect(await pool.oneFirst(sql.unsafe`SELECT 1`)).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the idle connection is closed
      server.behaviour = 'stall';
      const stalled = await pool.oneFirst(sql.unsafe`SELECT 1`).catch((e: unknown) => e);
      expect(exitCodeOf(stalled)).toBe(2);
      server.behaviour = 'reset-on-query';
      const reset = await pool.oneFirst(sql.unsafe`SELECT 1`).catch((e: unknown) => e);
      expect(exitCodeOf(reset)).toBe(2);
      await settle();
      expect(uncaught).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});

describe('the load Lambda against a warehouse that stops answering', () => {
  const BUCKET = 'totes-processed';
  const STATE = 'unresponsive-state';
  let aws: LocalAws;

  beforeAll(async () => {
    aws = await startLocalAwsForTests();
    await aws.createBucket(BUCKET);
    await aws.createStateTable(STATE);
    await aws.createIdempotencyTable('unresponsive-idempotency');
    await migrateWarehouse(db.pool);
  });

  afterAll(async () => {
    await aws.stop();
  });

  it('fails the record (retried, then DLQ) with the cause recorded, and the retry loads it', async () => {
    const version = '2024-02-29 10:00:00.123';
    const put = await putProcessedUnit(
      aws.s3,
      BUCKET,
      unit(
        'units/2024/02/29/20240229T100500000Z-un1/manifest.json',
        { ...dimensionsFor(version), fact_sales_order: [salesOrder(1, version)] },
        version,
      ),
    );
    const body = s3NotificationBody([{ bucket: BUCKET, key: put.key, eTag: put.eTag }]);
    // The handler's own pool rule (a failed creation is not cached), against the proxy.
    let pool: ReturnType<typeof createDatabasePool> | undefined;
    const handler = createLoadHandler({
      env: {
        IDEMPOTENCY_TABLE: 'unresponsive-idempotency',
        PIPELINE_STATE_TABLE: STATE,
        PROCESSED_BUCKET: BUCKET,
      },
      dynamoDb: aws.dynamoDb,
      logger: new Logger({ serviceName: 'load-test' }),
      metrics: new Metrics({ namespace: 'totes-test', serviceName: 'load-test' }),
      deps: {
        pool: () => {
          const creating = createDatabasePool(server.url, { connectionTimeoutMs: 300 });
          pool = creating.catch((error: unknown) => {
            pool = undefined;
            throw error;
          });
          return pool;
        },
        s3: () => aws.s3,
      },
    });

    server.behaviour = 'stall';
    const failed = await captureStdout(() => handler(sqsEvent([sqsRecord('u-1', body)]), lambdaContext()));
    expect(failed.error).toBeUndefined();
    expect(failed.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'u-1' }] });
    const failures = failureStore({ tableName: STATE, client: dynamoDbDocumentClient(aws.dynamoDb) });
    // The load retries transient errors inside the record first (TransientLoadError), naming the cause.
    expect(await failures.list('load')).toEqual([
      expect.objectContaining({
        key: put.key,
        errorClass: 'TransientLoadError',
        errorMessage: expect.stringMatching(/DatabaseUnreachableError: cannot reach the database at /),
      }),
    ]);

    server.behaviour = 'forward';
    const retried = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('u-2', body, 2)]), lambdaContext()),
    );
    expect(retried.result).toEqual({ batchItemFailures: [] });
    expect(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM fact_sales_order`)).toBe(1);
    await (await pool)?.end();
    await settle();
    expect(uncaught).toEqual([]);
  });
});
