/**
 * The consumers and `dlq show` against poison (issue 19, "one poison message breaks dlq show" and
 * "consumers accept any bucket"), with the real handlers, dynalite for the state and idempotency
 * tables, and the real failure store.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createLoadHandler } from '../../../services/lambdas/load/handler.ts';
import { createTransformHandler } from '../../../services/lambdas/transform/handler.ts';
import { escapeForTerminal } from '../../../services/tools/ops/dlq/escape.ts';
import { renderDlqShow, showDlq } from '../../../services/tools/ops/dlq/inspect.ts';
import type { DlqInfo, OpsTarget, PeekedMessage } from '../../../services/tools/ops/dlq/target.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { type FailureStore, failureStore } from '../../../shared/failures/index.ts';
import { createSqsHandler, type JsonValue } from '../../../shared/sqs-consumer/index.ts';
import {
  captureStdout,
  lambdaContext,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
} from '../shared-sqs-consumer/events.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';

let aws: LocalAws;
let store: FailureStore;
const IDEMPOTENCY = 'sec-idempotency';
const STATE = 'sec-state';
const env = {
  IDEMPOTENCY_TABLE: IDEMPOTENCY,
  PIPELINE_STATE_TABLE: STATE,
  INGESTION_BUCKET: 'totes-ingestion',
  PROCESSED_BUCKET: 'totes-processed',
  // The load reads its configuration once, before any record; the bucket check refuses the event
  // before the warehouse is ever reached, so this address is never connected to.
  WAREHOUSE_URL: 'postgres://unused@127.0.0.1:1/never-connected',
};
const quiet = () => ({
  logger: new Logger({ serviceName: 'sec-test', logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'totes-test', serviceName: 'sec-test' }),
});

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createIdempotencyTable(IDEMPOTENCY);
  await aws.createStateTable(STATE);
  store = failureStore({ tableName: STATE, client: dynamoDbDocumentClient(aws.dynamoDb) });
});

afterAll(async () => {
  await aws.stop();
});

/** A target for `showDlq`: the real failure store, and the messages a DLQ would hold. */
function dlqTarget(
  messages: PeekedMessage[],
  failures: FailureStore = store,
): { target: OpsTarget; dlq: DlqInfo } {
  const dlq = {
    name: 'totes-load-dlq',
    url: 'local',
    arn: 'arn',
    source: null,
    stage: 'load',
  } as unknown as DlqInfo;
  const target = { failures, peek: async () => messages } as unknown as OpsTarget;
  return { target, dlq };
}

describe('consumers refuse events for buckets other than their own', () => {
  test.each([
    ['load', 'totes-ingestion'],
    ['load', 'evil-bucket'],
    ['transform', 'totes-processed'],
  ] as const)(
    '%s: a notification for %s fails with ForeignBucketError before any read',
    async (stage, bucket) => {
      const key = `units/2026/11/28/forged-${stage}-${bucket}/manifest.json`;
      const handler =
        stage === 'load'
          ? createLoadHandler({ env, dynamoDb: aws.dynamoDb, ...quiet() })
          : createTransformHandler({ env, dynamoDb: aws.dynamoDb, s3: aws.s3, ...quiet() });
      const event = sqsEvent([
        sqsRecord(`m-${stage}-${bucket}`, s3NotificationBody([{ bucket, key, eTag: 'e' }])),
      ]);
      const { result } = await captureStdout(() => handler(event, lambdaContext()));
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: `m-${stage}-${bucket}` }] });
      const failure = await store.get(stage, bucket, key);
      expect(failure).toMatchObject({ errorClass: 'ForeignBucketError' });
      expect(failure?.errorMessage).toContain(
        `reads only "${stage === 'load' ? 'totes-processed' : 'totes-ingestion'}"`,
      );
    },
  );
});

describe('failure records of any key, and of attempts that never finish', () => {
  test('a 262,000-character key: its failure is recorded (hashed), and dlq show prints 1 KB of it', async () => {
    const key = `units/${'k'.repeat(262_000)}`;
    const handler = createSqsHandler({
      stage: 'load',
      env,
      dynamoDb: aws.dynamoDb,
      ...quiet(),
      processObject: async () => {
        throw new Error('unit is poison');
      },
    });
    const body = s3NotificationBody([{ bucket: 'totes-processed', key, eTag: 'e' }]);
    const { result, lines } = await captureStdout(() =>
      handler(sqsEvent([sqsRecord('m-long', body)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-long' }] });
    const failure = await store.get('load', 'totes-processed', key);
    expect(failure).toMatchObject({ errorMessage: 'unit is poison', keyLength: key.length });
    expect(failure?.key).toHaveLength(1024);
    // No log line carries the whole key.
    for (const line of lines) expect(JSON.stringify(line).length).toBeLessThan(20_000);
    const { target, dlq } = dlqTarget([{ messageId: 'm-long', body, receiveCount: 3, sentAt: null }]);
    const views = await showDlq(target, dlq, 10);
    expect(views[0]?.failure?.errorMessage).toBe('unit is poison');
    const text = renderDlqShow('totes-load-dlq', views);
    expect(text.length).toBeLessThan(5_000);
    expect(text).toContain(`(${key.length + 'totes-processed/'.length} characters)`);
  });

  test('an attempt that never finishes shows as started, with no result and the timeout', async () => {
    const key = 'units/2026/11/28/hangs/manifest.json';
    let entered!: () => void;
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const handler = createSqsHandler({
      stage: 'load',
      env,
      dynamoDb: aws.dynamoDb,
      ...quiet(),
      // The container "dies" here: the work never settles.
      processObject: () => {
        entered();
        return new Promise<JsonValue>(() => {});
      },
    });
    const body = s3NotificationBody([{ bucket: 'totes-processed', key, eTag: 'e' }]);
    void handler(sqsEvent([sqsRecord('m-hang', body, 2)]), lambdaContext(900_000));
    await started;
    const { target, dlq } = dlqTarget([{ messageId: 'm-hang', body, receiveCount: 2, sentAt: null }]);
    const [view] = await showDlq(target, dlq, 10);
    expect(view?.failure).toBeNull();
    expect(view?.unfinished).toMatchObject({ attempt: 2, timeoutSeconds: 900 });
    expect(renderDlqShow('totes-load-dlq', [view!])).toMatch(
      /last attempt: {2}started at \S+ \(attempt 2\), no result: timed out after the function's timeout \(900 s\)/,
    );
  });
});

describe('dlq show never dies on one message and never prints terminal controls', () => {
  test('a message whose records cannot be read is reported on its own; the others are shown', async () => {
    const good = 'units/2026/11/28/good/manifest.json';
    await store.record({
      stage: 'load',
      bucket: 'totes-processed',
      key: good,
      messageId: 'm-good',
      eTag: null,
      error: new Error('bad unit'),
      attempt: 3,
    });
    const failing: FailureStore = {
      ...store,
      get: async (stage, bucket, key) => {
        if (key.includes('broken'))
          throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
            name: 'ValidationException',
          });
        return store.get(stage, bucket, key);
      },
    };
    const { target, dlq } = dlqTarget(
      [
        {
          messageId: 'm-broken',
          body: s3NotificationBody([{ bucket: 'totes-processed', key: 'units/broken', eTag: 'e' }]),
          receiveCount: 3,
          sentAt: null,
        },
        {
          messageId: 'm-good',
          body: s3NotificationBody([{ bucket: 'totes-processed', key: good, eTag: 'e' }]),
          receiveCount: 3,
          sentAt: null,
        },
      ],
      failing,
    );
    const views = await showDlq(target, dlq, 10);
    expect(views.map((v) => [v.messageId, v.lookupError ?? null, v.failure?.errorMessage ?? null])).toEqual([
      ['m-broken', 'ValidationException: Item size has exceeded the maximum allowed size', null],
      ['m-good', null, 'bad unit'],
    ]);
    expect(renderDlqShow('totes-load-dlq', views)).toContain(
      'records:       could not be read: ValidationException',
    );
  });

  test('escape sequences in keys and errors are printed escaped, never raw', async () => {
    const key = 'units/\u001b[2J\u001b[Hall OK\u009b31m\u202eevil/manifest.json';
    await store.record({
      stage: 'load',
      bucket: 'totes-processed',
      key,
      messageId: 'm-esc',
      eTag: null,
      error: new Error('failed \u001b]0;pwned\u0007'),
      attempt: 1,
    });
    const body = s3NotificationBody([{ bucket: 'totes-processed', key, eTag: 'e' }]);
    const { target, dlq } = dlqTarget([
      { messageId: 'm-\u001b[31mred', body, receiveCount: 1, sentAt: null },
    ]);
    const text = renderDlqShow('totes-load-dlq', await showDlq(target, dlq, 10));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is about control characters
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('units/\\x1b[2J\\x1b[Hall OK\\x9b31m\\u202eevil/manifest.json');
    expect(text).toContain('failed \\x1b]0;pwned\\x07');
    expect(text).toContain('message m-\\x1b[31mred');
    expect(escapeForTerminal('plain text, ünïcode ✓')).toBe('plain text, ünïcode ✓');
  });
});
