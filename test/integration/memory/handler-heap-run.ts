/**
 * Child process of handler-heap.test.ts, started with `--expose-gc` (Jest workers cannot force a
 * GC): runs each Lambda handler for N invocations in this one process, as a warm container would,
 * and sends back `process.memoryUsage().heapUsed` after a forced GC at the end of the warm-up and
 * at the end of the run.
 *
 * What one invocation exercises (chosen so 10,000 per handler fit in a test's time on a loaded
 * machine, yet every per-invocation layer runs):
 * - extract: the real `handler` export (module-level Logger/Metrics, addContext/resetKeys/appendKeys,
 *   the container's slonik pool: one clock query on PostgreSQL, the lease's conditional put and
 *   get in DynamoDB) with the lease held by another run, so each run is skipped after the lease
 *   (a full run per invocation would take minutes for 10,000);
 * - transform and load: an SQS batch through Middy + partial batch failure, the notification
 *   parser, the logger and metrics with their flush: an `s3:TestEvent`, and every `repeatEvery`-th
 *   batch also a notification of a unit already processed, so Powertools idempotency runs against
 *   DynamoDB (conditional put, get of the COMPLETED record) with a child logger per object.
 */

import { writeHeapSnapshot } from 'node:v8';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { createLoadHandler } from '../../../services/lambdas/load/handler.ts';
import { createTransformHandler } from '../../../services/lambdas/transform/handler.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { measurementConfig, reportToParent } from '../../support/measurement-child.ts';
import { settledHeap } from '../../support/settled-heap.ts';
import { putProcessedUnit } from '../load/lake.ts';
import { dimensionsFor, payment, salesOrder, unit } from '../load/units.ts';
import {
  lambdaContext,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
  TEST_EVENT_BODY,
} from '../shared-sqs-consumer/events.ts';
import { startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';
import { writeUnit } from '../transform/unit-builder.ts';

export interface HeapRunConfig {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  readonly warmup: number;
  readonly invocations: number;
  /** Transform and load: every n-th batch also carries the already-processed object. */
  readonly repeatEvery: number;
  /** Extract: invocations (each one clock query and one lease attempt). */
  readonly extractInvocations: number;
  /** Extract: warm-up invocations (each costs real I/O, see extractInvocations). */
  readonly extractWarmup: number;
}

export interface HandlerHeap {
  readonly handler: 'extract' | 'transform' | 'load';
  readonly invocations: number;
  readonly heapAfterWarmup: number;
  readonly heapAtEnd: number;
  readonly seconds: number;
}

/** With HEAP_RUN_SNAPSHOTS=<dir>: heap snapshots around each run, for services/tools/bench/heap-diff.ts. */
function snapshot(label: string): void {
  const dir = process.env.HEAP_RUN_SNAPSHOTS;
  if (dir) writeHeapSnapshot(`${dir}/${label}.heapsnapshot`);
}

async function measure(
  name: HandlerHeap['handler'],
  config: HeapRunConfig,
  invoke: (i: number) => Promise<void>,
): Promise<HandlerHeap> {
  for (let i = 0; i < config.warmup; i++) await invoke(i);
  const heapAfterWarmup = settledHeap();
  snapshot(`${name}-1`);
  const started = performance.now();
  for (let i = 0; i < config.invocations; i++) await invoke(config.warmup + i);
  const seconds = (performance.now() - started) / 1000;
  const heapAtEnd = settledHeap();
  snapshot(`${name}-2`);
  return { handler: name, invocations: config.invocations, heapAfterWarmup, heapAtEnd, seconds };
}

/** An SQS batch: a TestEvent, and every `repeatEvery`-th invocation also the processed object again. */
function batchMaker(repeatEvery: number) {
  return (i: number, objectBody: string) =>
    sqsEvent([
      sqsRecord(`t-${i}`, TEST_EVENT_BODY),
      ...(i % repeatEvery === 0 ? [sqsRecord(`o-${i}`, objectBody)] : []),
    ]);
}

function expectBatchOk(result: unknown): void {
  const failures = (result as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures;
  if (!failures || failures.length > 0) throw new Error(`batch failed: ${JSON.stringify(result)}`);
}

/**
 * Runs the three handlers, releasing what it opened on every path: the in-process emulators listen
 * on sockets, so a run that failed part-way and left them open would keep this child alive (idle)
 * after it reported the error, and the parent waits for its exit.
 */
async function main(config: HeapRunConfig): Promise<HandlerHeap[]> {
  const aws = await startLocalAwsForTests();
  const closers: (() => Promise<void>)[] = [() => aws.stop()];
  try {
    return await runAll(config, aws, closers);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

async function runAll(
  config: HeapRunConfig,
  aws: Awaited<ReturnType<typeof startLocalAwsForTests>>,
  closers: (() => Promise<void>)[],
): Promise<HandlerHeap[]> {
  const STATE = 'heap-state';
  await aws.createStateTable(STATE);
  await aws.createBucket('heap-ingestion');
  await aws.createBucket('heap-processed');
  await aws.createIdempotencyTable('heap-transform-idempotency');
  await aws.createIdempotencyTable('heap-load-idempotency');
  const results: HandlerHeap[] = [];
  const batch = batchMaker(config.repeatEvery);

  // extract: the module's own handler, configured through the environment as on Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoDbEndpoint,
    TOTESYS_URL: config.sourceUrl,
    INGESTION_BUCKET: 'heap-ingestion',
    PIPELINE_STATE_TABLE: STATE,
  });
  await dynamoDbDocumentClient(aws.dynamoDb).send(
    new PutCommand({
      TableName: STATE,
      Item: { pk: 'LEASE', sk: 'extract', owner: 'another-run', expiresAtMs: Date.now() + 24 * 3600_000 },
    }),
  );
  const extract = await import('../../../services/lambdas/extract/handler.ts');
  closers.push(() => extract.closeSourcePool());
  const context = (): Context => lambdaContext(60_000);
  results.push(
    await measure(
      'extract',
      { ...config, warmup: config.extractWarmup, invocations: config.extractInvocations },
      async (i) => {
        const result = await extract.handler({ id: `tick-${i}` } as never, context());
        if (result.status !== 'skipped')
          throw new Error(`extract: expected a skipped run, got ${result.status}`);
      },
    ),
  );
  await extract.closeSourcePool();

  // transform: a processed unit's notification repeated (idempotency hit) beside a TestEvent.
  const written = await writeUnit(aws.s3, 'heap-ingestion', '20240301T000001000Z-heap', {
    currency: [{ currency_id: 1, currency_code: 'GBP' }],
  });
  const transform = createTransformHandler({
    env: {
      INGESTION_BUCKET: 'heap-ingestion',
      PROCESSED_BUCKET: 'heap-processed',
      IDEMPOTENCY_TABLE: 'heap-transform-idempotency',
      PIPELINE_STATE_TABLE: STATE,
    },
    s3: aws.s3,
    dynamoDb: aws.dynamoDb,
    logger: new Logger({ serviceName: 'heap-transform' }),
    metrics: new Metrics({ namespace: 'totes-heap', serviceName: 'heap-transform' }),
  });
  const transformBody = s3NotificationBody([
    { bucket: 'heap-ingestion', key: written.manifestKey, eTag: written.eTag },
  ]);
  expectBatchOk(await transform(sqsEvent([sqsRecord('first', transformBody)]), context()));
  results.push(
    await measure('transform', config, async (i) => {
      expectBatchOk(await transform(batch(i, transformBody), context()));
    }),
  );

  // load: an applied unit's notification repeated beside a TestEvent.
  const pool = await createDatabasePool(config.warehouseUrl);
  closers.push(() => pool.end());
  await migrateWarehouse(pool);
  const version = '2024-02-29 10:00:00.123';
  const put = await putProcessedUnit(
    aws.s3,
    'heap-processed',
    unit(
      'units/2024/02/29/20240229T100500000Z-heap/manifest.json',
      {
        ...dimensionsFor(version),
        fact_sales_order: [salesOrder(1, version)],
        fact_payment: [payment(1, version, false)],
      },
      version,
    ),
  );
  const load = createLoadHandler({
    env: {
      PROCESSED_BUCKET: 'heap-processed',
      IDEMPOTENCY_TABLE: 'heap-load-idempotency',
      PIPELINE_STATE_TABLE: STATE,
    },
    dynamoDb: aws.dynamoDb,
    logger: new Logger({ serviceName: 'heap-load' }),
    metrics: new Metrics({ namespace: 'totes-heap', serviceName: 'heap-load' }),
    deps: { pool: async () => pool, s3: () => aws.s3 },
  });
  const loadBody = s3NotificationBody([{ bucket: 'heap-processed', key: put.key, eTag: put.eTag }]);
  expectBatchOk(await load(sqsEvent([sqsRecord('first', loadBody)]), context()));
  results.push(
    await measure('load', config, async (i) => {
      expectBatchOk(await load(batch(i, loadBody), context()));
    }),
  );
  return results;
}

reportToParent(() => main(measurementConfig<HeapRunConfig>()));
