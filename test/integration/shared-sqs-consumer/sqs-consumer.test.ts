/**
 * The shared SQS consumer against real emulators: dynalite for Powertools idempotency (which, like
 * no real DynamoDB, does not return the old item on a failed conditional put — Powertools must fall
 * back to a GetItem) and the state table's failure records.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { failureStore } from '../../../shared/failures/index.ts';
import type { S3ObjectRef } from '../../../shared/s3-events/index.ts';
import {
  createSqsHandler,
  HandlerSetupError,
  type ProcessObject,
} from '../../../shared/sqs-consumer/index.ts';
import { moveClockForward, restoreClock } from '../../support/clock.ts';
import {
  captureStdout,
  lambdaContext,
  metricTotal,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
  TEST_EVENT_BODY,
} from './events.ts';
import { type LocalAws, startLocalAwsForTests } from './local-aws.ts';

let aws: LocalAws;
const IDEMPOTENCY = 'consumer-idempotency';
const STATE = 'consumer-state';
const env = { IDEMPOTENCY_TABLE: IDEMPOTENCY, PIPELINE_STATE_TABLE: STATE };
const bucket = 'totes-ingestion';
const key = (n: number) => `units/2026/11/28/20261128T010000000Z-t${n}/manifest.json`;

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createIdempotencyTable(IDEMPOTENCY);
  await aws.createStateTable(STATE);
});

afterAll(async () => {
  await aws.stop();
});

function makeHandler(processObject: ProcessObject, overrides: { env?: NodeJS.ProcessEnv } = {}) {
  return createSqsHandler({
    stage: 'transform',
    processObject,
    env: overrides.env ?? env,
    dynamoDb: aws.dynamoDb,
    logger: new Logger({ serviceName: 'consumer-test' }),
    metrics: new Metrics({ namespace: 'totes-test', serviceName: 'consumer-test' }),
  });
}

const failures = () => failureStore({ tableName: STATE, client: dynamoDbDocumentClient(aws.dynamoDb) });

describe('createSqsHandler', () => {
  test('every log line carries the Lambda context; ColdStart is emitted on the first invocation only', async () => {
    // Lambda sets this; Powertools reports a cold start only for on-demand containers.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const handler = makeHandler(async (_ref: S3ObjectRef, ctx) => {
      ctx.logger.info('processing in a child logger');
      return { ok: true };
    });
    const invoke = (n: number) =>
      captureStdout(() =>
        handler(
          sqsEvent([sqsRecord(`cs-${n}`, s3NotificationBody([{ bucket, key: key(90 + n), eTag: `c${n}` }]))]),
          {
            ...lambdaContext(),
            awsRequestId: `request-${n}`,
          },
        ),
      );
    const first = await invoke(1);
    const second = await invoke(2);
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    const logs = (lines: Record<string, unknown>[]) => lines.filter((l) => 'level' in l);
    expect(logs(first.lines).length).toBeGreaterThan(0);
    for (const line of logs(first.lines)) {
      expect(line).toMatchObject({ function_request_id: 'request-1', cold_start: true });
      expect(line.function_name).toEqual(expect.any(String));
    }
    for (const line of logs(second.lines))
      expect(line).toMatchObject({ function_request_id: 'request-2', cold_start: false });
    expect(metricTotal(first.lines, 'ColdStart')).toBe(1);
    expect(metricTotal(second.lines, 'ColdStart')).toBe(0);
  });

  test('a batch of three with one poison record reports exactly that messageId and records why', async () => {
    const seen: string[] = [];
    const handler = makeHandler(async (ref: S3ObjectRef) => {
      seen.push(ref.key);
      if (ref.key === key(2)) {
        throw new Error('unit is poison', { cause: new Error('column "units_sold" is not an int') });
      }
      return { ok: true };
    });
    const event = sqsEvent([
      sqsRecord('m-1', s3NotificationBody([{ bucket, key: key(1), eTag: 'e1' }])),
      sqsRecord('m-2', s3NotificationBody([{ bucket, key: key(2), eTag: 'e2' }]), 3),
      sqsRecord('m-3', s3NotificationBody([{ bucket, key: key(3), eTag: 'e3' }])),
    ]);
    const { result, error, lines } = await captureStdout(() => handler(event, lambdaContext()));
    expect(error).toBeUndefined();
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(seen.sort()).toEqual([key(1), key(2), key(3)]);
    expect(metricTotal(lines, 'RecordsFailed', 'transform')).toBe(1);
    expect(metricTotal(lines, 'RecordsSucceeded', 'transform')).toBe(2);
    const errorLog = lines.find((l) => l.level === 'ERROR' && l.key === key(2));
    expect(errorLog).toMatchObject({
      runId: '20261128T010000000Z-t2',
      messageId: 'm-2',
      errorClass: 'Error',
    });

    const failure = await failures().get('transform', bucket, key(2));
    expect(failure).toMatchObject({
      stage: 'transform',
      bucket,
      key: key(2),
      messageId: 'm-2',
      eTag: 'e2',
      errorClass: 'Error',
      attempt: 3,
    });
    expect(failure?.errorMessage).toContain('unit is poison');
    expect(failure?.errorMessage).toContain('column "units_sold" is not an int');
    expect(Number.isNaN(Date.parse(failure!.failedAt))).toBe(false);
    expect(await failures().get('transform', bucket, key(1))).toBeUndefined();
  });

  test('a failed attempt leaves nothing that blocks the retry, and the retry clears the failure record', async () => {
    let calls = 0;
    const handler = makeHandler(async () => {
      calls += 1;
      if (calls === 1) throw new Error('transient');
      return { ok: true };
    });
    const body = s3NotificationBody([{ bucket, key: key(10), eTag: 'e10' }]);
    const first = await captureStdout(() => handler(sqsEvent([sqsRecord('m-10', body)]), lambdaContext()));
    expect(first.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-10' }] });
    expect(await failures().get('transform', bucket, key(10))).toBeDefined();
    const second = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('m-10', body, 2)]), lambdaContext()),
    );
    expect(second.result).toEqual({ batchItemFailures: [] });
    expect(calls).toBe(2);
    expect(await failures().get('transform', bucket, key(10))).toBeUndefined();
  });

  test('the attempt is recorded as started before the work begins, and cleared once it succeeded', async () => {
    // The start record and the idempotency claim are written side by side; the work waits for both.
    let seenAtStart: unknown;
    const handler = makeHandler(async () => {
      seenAtStart = await failures().getStart('transform', bucket, key(40));
      return { ok: true };
    });
    const body = s3NotificationBody([{ bucket, key: key(40), eTag: 'e40' }]);
    const { result } = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('m-40', body, 2)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(seenAtStart).toMatchObject({ stage: 'transform', key: key(40), messageId: 'm-40', attempt: 2 });
    expect(await failures().getStart('transform', bucket, key(40))).toBeUndefined();
    // A duplicate (already processed) never runs the work, and leaves no start record behind.
    const again = await captureStdout(() => handler(sqsEvent([sqsRecord('m-41', body)]), lambdaContext()));
    expect(again.result).toEqual({ batchItemFailures: [] });
    expect(await failures().getStart('transform', bucket, key(40))).toBeUndefined();
  });

  test('the same object notified under two messageIds is processed once (same batch and later batch)', async () => {
    let calls = 0;
    const handler = makeHandler(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { rows: 5 };
    });
    const body = () => s3NotificationBody([{ bucket, key: key(20), eTag: 'e20' }]);
    const first = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('a-1', body()), sqsRecord('a-2', body())]), lambdaContext()),
    );
    expect(first.result).toEqual({ batchItemFailures: [] });
    // A later duplicate notification (new messageId) finds the COMPLETED record: dynalite returns no
    // item on the failed conditional put, so this proves the GetItem fallback works.
    const second = await captureStdout(() => handler(sqsEvent([sqsRecord('a-3', body())]), lambdaContext()));
    expect(second.result).toEqual({ batchItemFailures: [] });
    expect(calls).toBe(1);
    expect(metricTotal(second.lines, 'ObjectsSkippedDuplicate')).toBe(1);
    // A new version of the object (new eTag) is new work.
    await handler(
      sqsEvent([sqsRecord('a-4', s3NotificationBody([{ bucket, key: key(20), eTag: 'e20-v2' }]))]),
      lambdaContext(),
    );
    expect(calls).toBe(2);
  });

  test('an attempt still in progress blocks a duplicate; once its mark expires a retry may run', async () => {
    const STUCK_MS = 10 * 60_000;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let calls = 0;
    const handler = makeHandler(async () => {
      calls += 1;
      if (calls === 1) {
        entered();
        await gate;
      }
      return { ok: true };
    });
    const body = s3NotificationBody([{ bucket, key: key(30), eTag: 'e30' }]);
    // The first attempt has 10 minutes left: its IN_PROGRESS mark expires then (as if it crashed).
    // Far longer than the duplicate below takes on a loaded machine (with 5 s, a slow one found the
    // mark expired); the test moves the clock past it instead of waiting.
    const stuck = handler(sqsEvent([sqsRecord('s-1', body)]), lambdaContext(STUCK_MS));
    // Its work has begun, so its mark is written (Powertools saves it before calling the function).
    await started;
    const blocked = await captureStdout(() => handler(sqsEvent([sqsRecord('s-2', body)]), lambdaContext()));
    expect(blocked.result).toEqual({ batchItemFailures: [{ itemIdentifier: 's-2' }] });
    const failure = await failures().get('transform', bucket, key(30));
    expect(failure?.errorClass).toBe('IdempotencyAlreadyInProgressError');
    // Past the mark's expiry without waiting for it: only the clock (Date) moves on.
    moveClockForward(STUCK_MS + 1_000);
    try {
      const retried = await captureStdout(() =>
        handler(sqsEvent([sqsRecord('s-3', body, 2)]), lambdaContext()),
      );
      expect(retried.result).toEqual({ batchItemFailures: [] });
    } finally {
      restoreClock();
    }
    expect(calls).toBe(2);
    release();
    await stuck;
  });

  test('an s3:TestEvent is acknowledged without work; a body that is not a notification fails', async () => {
    let calls = 0;
    const handler = makeHandler(async () => {
      calls += 1;
      return null;
    });
    const { result, lines } = await captureStdout(() =>
      handler(
        sqsEvent([sqsRecord('t-1', TEST_EVENT_BODY), sqsRecord('t-2', '{"hello":"world"}')]),
        lambdaContext(),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 't-2' }] });
    expect(calls).toBe(0);
    expect(lines.some((l) => l.message === 's3:TestEvent acknowledged without work')).toBe(true);
    expect(metricTotal(lines, 'TestEventsAcknowledged')).toBe(1);
    const all = await failures().list('transform');
    expect(all.find((f) => f.messageId === 't-2')).toMatchObject({
      bucket: null,
      key: null,
      errorClass: 'BadNotificationError',
    });
  });

  test('several objects in one message: keys decoded, each processed, the record fails if one fails', async () => {
    const seen: string[] = [];
    const handler = makeHandler(async (ref) => {
      seen.push(ref.key);
      if (ref.key.includes('bad')) throw new Error('bad object');
      return null;
    });
    const body = s3NotificationBody([
      { bucket, key: 'units/2026/11/28/r1/a file+x.json', eTag: 'm1' },
      { bucket, key: 'units/2026/11/28/r1/bad.json', eTag: 'm2' },
    ]);
    const { result } = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('multi', body)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'multi' }] });
    expect(seen).toEqual(['units/2026/11/28/r1/a file+x.json', 'units/2026/11/28/r1/bad.json']);
  });

  test('a handler-level failure fails the invocation, logs at error level and counts every record failed', async () => {
    let calls = 0;
    const handler = makeHandler(
      async () => {
        calls += 1;
        return null;
      },
      { env: { PIPELINE_STATE_TABLE: STATE } },
    );
    const event = sqsEvent([
      sqsRecord('h-1', s3NotificationBody([{ bucket, key: key(40), eTag: 'e40' }])),
      sqsRecord('h-2', s3NotificationBody([{ bucket, key: key(41), eTag: 'e41' }])),
    ]);
    const { error, lines } = await captureStdout(() => handler(event, lambdaContext()));
    expect(error).toBeInstanceOf(HandlerSetupError);
    expect((error as Error).message).toContain('IDEMPOTENCY_TABLE');
    expect(calls).toBe(0);
    expect(metricTotal(lines, 'RecordsFailed', 'transform')).toBe(2);
    expect(metricTotal(lines, 'HandlerFailures', 'transform')).toBe(1);
    expect(
      lines.some((l) => l.level === 'ERROR' && String(l.errorMessage).includes('IDEMPOTENCY_TABLE')),
    ).toBe(true);
  });

  test('DynamoDB unreachable: each record fails and is counted, the batch reports them all', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const dead = new DynamoDBClient({
      region: 'eu-west-2',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const handler = createSqsHandler({
      stage: 'load',
      processObject: async () => null,
      env,
      dynamoDb: dead,
      logger: new Logger({ serviceName: 'consumer-test' }),
      metrics: new Metrics({ namespace: 'totes-test', serviceName: 'consumer-test' }),
    });
    const event = sqsEvent([
      sqsRecord('d-1', s3NotificationBody([{ bucket, key: key(50), eTag: 'e50' }])),
      sqsRecord('d-2', s3NotificationBody([{ bucket, key: key(51), eTag: 'e51' }])),
    ]);
    const { result, lines } = await captureStdout(() => handler(event, lambdaContext()));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'd-1' }, { itemIdentifier: 'd-2' }] });
    expect(metricTotal(lines, 'RecordsFailed', 'load')).toBe(2);
    expect(
      lines.some((l) => l.level === 'ERROR' && l.errorClass === 'IdempotencyPersistenceLayerError'),
    ).toBe(true);
    dead.destroy();
  });
});
