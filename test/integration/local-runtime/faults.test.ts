import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sql } from 'slonik';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { FaultInjector } from '../../../services/tools/local-runtime/faults/injector.ts';
import { installPostgresFaults } from '../../../services/tools/local-runtime/faults/postgres.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { type Clients, clientsFor } from './support.ts';

describe('faults at the emulators HTTP layer', () => {
  let aws: LocalAws;
  let clients: Clients;
  const faults = FaultInjector.parse('s3.put=1,s3.get=1,sqs.send=1,ddb.write=1,ddb.read=1', 4, {
    enabled: false,
  });

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'faulty', faults, testEvents: false });
    clients = clientsFor(aws);
  });

  afterAll(async () => {
    clients.destroy();
    await aws.stop();
  });

  afterEach(() => {
    faults.enabled = false;
  });

  const bucket = () => aws.resources.buckets.ingestion;

  test('S3 answers InternalError / SlowDown, the SDK retries, then the error reaches the caller', async () => {
    const before = faults.counts()['s3.put'];
    faults.enabled = true;
    const error = await clients.s3
      .send(new PutObjectCommand({ Bucket: bucket(), Key: 'a.json', Body: '{}' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ServiceException);
    const s3Error = error as S3ServiceException;
    expect(['InternalError', 'SlowDown']).toContain(s3Error.name);
    expect([500, 503]).toContain(s3Error.$metadata.httpStatusCode);
    // The SDK's standard retry made three attempts, each one a fault.
    expect(s3Error.$metadata.attempts).toBe(3);
    expect(faults.counts()['s3.put'] - before).toBe(3);

    faults.enabled = false;
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: 'a.json', Body: '{}' }));
    faults.enabled = true;
    await expect(
      clients.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: 'a.json' })),
    ).rejects.toThrow();
  });

  test('SQS send answers 500/503 InternalError / ServiceUnavailable; operations without faults pass', async () => {
    const url = aws.queueUrls[aws.resources.queues.transform.name]!;
    faults.enabled = true;
    const error = (await clients.sqs
      .send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))
      .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode?: number } };
    expect(['InternalError', 'ServiceUnavailable']).toContain(error.name);
    expect([500, 503]).toContain(error.$metadata.httpStatusCode);
    // receive has probability 0 here: it runs normally
    await expect(clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).resolves.toBeDefined();
  });

  test('DynamoDB answers InternalServerError or ThrottlingException; some writes ran (response lost)', async () => {
    const table = aws.resources.tables.state.name;
    const keys = Array.from({ length: 20 }, (_, i) => ({ pk: { S: 'FAULT' }, sk: { S: `k${i}` } }));
    faults.enabled = true;
    const names: string[] = [];
    for (const Item of keys) {
      const error = (await clients.dynamodb
        .send(new PutItemCommand({ TableName: table, Item, ConditionExpression: 'attribute_not_exists(pk)' }))
        .catch((e: unknown) => e)) as { name: string };
      names.push(error.name);
    }
    faults.enabled = false;
    expect(new Set(names)).toEqual(new Set(['InternalServerError', 'ThrottlingException']));
    let written = 0;
    for (const Key of keys) {
      const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key }));
      if (Item) written++;
    }
    // Seed 4: the first attempt of some writes ran before its 500; the others never reached the table.
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(keys.length);
  });
});

describe('faults through slonik interceptors', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('faults');
    await db.pool.query(sql.unsafe`CREATE SCHEMA "pipeline"`);
    await db.pool.query(
      sql.unsafe`CREATE TABLE "pipeline"."load_ledger" ("unit_id" text PRIMARY KEY, "n" int)`,
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('pg.query fails the statements of the stages pools only, with a transient SQLSTATE', async () => {
    const faults = FaultInjector.parse('pg.query=1', 1);
    const undo = installPostgresFaults(faults);
    const load = await createDatabasePool(db.url, { applicationName: 'totes-load' });
    const other = await createDatabasePool(db.url, { applicationName: 'totes-chaos' });
    try {
      await expect(load.oneFirst(sql.unsafe`SELECT 1`)).rejects.toMatchObject({ code: '08006' });
      await expect(other.oneFirst(sql.unsafe`SELECT 1`)).resolves.toBe(1);
      expect(faults.counts()['pg.query']).toBe(1);
    } finally {
      undo();
      await load.end();
      await other.end();
    }
    // Undone: a new pool of the same stage is not faulted.
    const after = await createDatabasePool(db.url, { applicationName: 'totes-load' });
    await expect(after.oneFirst(sql.unsafe`SELECT 1`)).resolves.toBe(1);
    await after.end();
  });

  test('pg.commit rolls back the load transaction at its ledger update', async () => {
    const faults = FaultInjector.parse('pg.commit=1', 1);
    const undo = installPostgresFaults(faults);
    const load = await createDatabasePool(db.url, { applicationName: 'totes-load' });
    try {
      await expect(
        load.transaction(async (tx) => {
          await tx.query(sql.unsafe`INSERT INTO "pipeline"."load_ledger" ("unit_id", "n") VALUES ('u1', 0)`);
          await tx.query(sql.unsafe`
            UPDATE "pipeline"."load_ledger" SET "n" = 1 WHERE "unit_id" = 'u1'`);
        }, 0),
      ).rejects.toMatchObject({ code: '40001' });
      expect(faults.counts()['pg.commit']).toBe(1);
      // Outside a transaction the same statement is not a commit.
      await load.query(sql.unsafe`UPDATE "pipeline"."load_ledger" SET "n" = 2`);
    } finally {
      undo();
      await load.end();
    }
    expect(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger"`)).toBe(0);
  });
});
