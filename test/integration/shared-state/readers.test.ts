/**
 * shared/state's readers against the local stand-ins (dynalite, fauxqs) and the embedded
 * PostgreSQL: what `totes status`, `totes alarms` and the live view read, with the clients and
 * table names passed in (as `--aws` will pass AWS's).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'slonik';
import {
  LOCAL_CREDENTIALS,
  type LocalAws,
  startLocalAws,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import {
  lastSuccessfulExtract,
  latestRuns,
  ledgerFreshness,
  oldestUnloadedSourceChangeAge,
  queueDepth,
  queueUrl,
  readHeartbeat,
  recordHeartbeat,
  recordRun,
  totalMessages,
} from '../../../shared/state/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

let aws: LocalAws;
let raw: DynamoDBClient;
let sqs: SQSClient;
let db: TestDatabase;

beforeAll(async () => {
  aws = await startLocalAws({ testEvents: false });
  raw = new DynamoDBClient({
    region: aws.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: aws.endpoints.dynamodb,
  });
  sqs = new SQSClient({ region: aws.region, credentials: LOCAL_CREDENTIALS, endpoint: aws.endpoints.sqs });
  db = await createTestDatabase('state_readers');
});

afterAll(async () => {
  await db.drop();
  sqs.destroy();
  raw.destroy();
  await aws.stop();
});

const run = (runId: string, status: 'extracted' | 'unchanged' | 'failed', extractedAt: string) => ({
  runId,
  status,
  extractedAt,
  durationMs: 10,
  changedRows: 1,
  rows: 1,
});

describe('runs and heartbeat', () => {
  it('reads the latest runs newest first, and the last successful extract from the heartbeat or the runs', async () => {
    const doc = dynamoDbDocumentClient(raw);
    const table = aws.resources.tables.state.name;
    expect(await readHeartbeat(doc, table)).toBeNull();
    expect(await lastSuccessfulExtract(doc, table)).toBeNull();

    await recordRun(doc, table, run('20240101T000000000Z-a', 'extracted', '2024-01-01 00:00:00.000'), 0);
    await recordRun(doc, table, run('20240102T000000000Z-b', 'unchanged', '2024-01-02 00:00:00.000'), 0);
    await recordRun(doc, table, run('20240103T000000000Z-c', 'failed', '2024-01-03 00:00:00.000'), 0);
    expect((await latestRuns(doc, table, 2)).map((r) => r.sk)).toEqual([
      '20240103T000000000Z-c',
      '20240102T000000000Z-b',
    ]);
    // No heartbeat yet (state from before heartbeats): the newest run that did not fail.
    expect(await lastSuccessfulExtract(doc, table)).toBe('2024-01-02 00:00:00.000');

    await recordHeartbeat(doc, table, {
      runId: '20240104T000000000Z-d',
      at: '2024-01-04 00:00:00.000',
      rows: 0,
      changedRows: 0,
      status: 'unchanged',
    });
    expect(await readHeartbeat(doc, table)).toMatchObject({
      pk: 'HEARTBEAT',
      runId: '20240104T000000000Z-d',
    });
    expect(await lastSuccessfulExtract(doc, table)).toBe('2024-01-04 00:00:00.000');
  });
});

describe('queue depth', () => {
  it('counts what a queue holds through the SQS API', async () => {
    const name = aws.resources.queues.load.dlqName;
    const url = await queueUrl(sqs, name);
    expect(totalMessages(await queueDepth(sqs, url))).toBe(0);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'two' }));
    expect(await queueDepth(sqs, url)).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    await expect(queueUrl(sqs, 'no-such-queue')).rejects.toThrow();
  });
});

describe('freshness', () => {
  it('reads nothing loaded before the warehouse is migrated, then the ledger, and the oldest unloaded source change', async () => {
    expect(await ledgerFreshness(db.pool)).toEqual({ units: 0, newestSourceUpdate: null, ageSeconds: null });
    await migrateWarehouse(db.pool);
    expect(await ledgerFreshness(db.pool)).toEqual({ units: 0, newestSourceUpdate: null, ageSeconds: null });
    await db.pool.query(sql.unsafe`
      INSERT INTO pipeline.load_ledger (unit_id, run_id, rows, newest_source_update)
      VALUES ('u1', 'r1', '{}', now() AT TIME ZONE 'UTC' - interval '1 hour'),
             ('u2', 'r2', '{}', '2024-01-01 00:00:00.123')`);
    const fresh = await ledgerFreshness(db.pool);
    expect(fresh.units).toBe(2);
    expect(fresh.newestSourceUpdate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(fresh.ageSeconds).toBeGreaterThanOrEqual(3600);

    // The source side: only tables that exist are read; a change at or before the newest loaded
    // one is not late.
    expect(await oldestUnloadedSourceChangeAge(db.pool, null)).toBeNull();
    await db.pool.query(sql.unsafe`CREATE TABLE currency (currency_id int, last_updated timestamp(3))`);
    await db.pool.query(sql.unsafe`
      INSERT INTO currency VALUES (1, '2024-01-01 00:00:00.000'), (2, now() AT TIME ZONE 'UTC' - interval '10 minutes')`);
    expect(await oldestUnloadedSourceChangeAge(db.pool, '2024-01-02 00:00:00.000')).toBeGreaterThanOrEqual(
      600,
    );
    expect(await oldestUnloadedSourceChangeAge(db.pool, null)).toBeGreaterThan(86_400);
    expect(await oldestUnloadedSourceChangeAge(db.pool, '2999-01-01 00:00:00.000')).toBeNull();
  });
});
