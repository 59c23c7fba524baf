/**
 * The whole pipeline through the real stage code, one step at a time, for e2e tests that drive the
 * stages themselves: the extract run logic against a seeded totesys, the transform handler fed the
 * ingestion manifest's S3 notification, the load handler fed the processed manifests'
 * notifications — emulated S3 and DynamoDB (fauxqs, dynalite), embedded PostgreSQL for both
 * databases. One fixture so each test states only its scenario.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { runExtract } from '../../services/lambdas/extract/run-extract.ts';
import { createLoadHandler } from '../../services/lambdas/load/handler.ts';
import { closeWarehousePool } from '../../services/lambdas/load/warehouse-pool.ts';
import { createTransformHandler } from '../../services/lambdas/transform/handler.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { dynamoDbDocumentClient } from '../../shared/aws/clients.ts';
import {
  captureStdout,
  lambdaContext,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
} from '../integration/shared-sqs-consumer/events.ts';
import { type LocalAws, startLocalAwsForTests } from '../integration/shared-sqs-consumer/local-aws.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

type BatchHandler = (event: never, context: never) => Promise<unknown>;

export interface StagePipeline {
  readonly aws: LocalAws;
  readonly source: TestDatabase;
  readonly warehouse: TestDatabase;
  /** The Lambdas' environment (bucket and table names, WAREHOUSE_URL). */
  readonly env: NodeJS.ProcessEnv;
  readonly ingestionBucket: string;
  readonly processedBucket: string;
  readonly idempotencyTable: string;
  /** One extract run; returns its ingestion manifest key (throws unless it extracted). */
  extract(): Promise<string>;
  /** Transforms one ingestion unit; returns its processed manifest keys, sorted. */
  transform(ingestionManifest: string, messageId: string): Promise<string[]>;
  /** Every processed key under `prefix`, sorted. */
  processedKeys(prefix: string): Promise<string[]>;
  /** Loads processed manifests, one SQS batch; every record must succeed. */
  load(processedManifests: readonly string[]): Promise<void>;
  /** A load handler on this pipeline, with `env` overrides (e.g. another idempotency table). */
  loadHandler(env?: NodeJS.ProcessEnv): BatchHandler;
  /** The S3 notification of an object as an SQS record. */
  notification(bucket: string, key: string, messageId: string): Promise<SQSRecord>;
  /** Runs a stage handler on one batch; every record must succeed. */
  runHandler(handler: BatchHandler, records: readonly SQSRecord[]): Promise<void>;
  stop(): Promise<void>;
}

export interface StagePipelineOptions {
  /** Prefix of the bucket, table and database names (unique per test file). */
  readonly name: string;
  readonly seed: { readonly scale: number; readonly seed: number };
}

export async function startStagePipeline(options: StagePipelineOptions): Promise<StagePipeline> {
  const { name } = options;
  const ingestionBucket = `${name}-ingestion`;
  const processedBucket = `${name}-processed`;
  const idempotencyTable = `${name}-idempotency`;
  const stateTable = `${name}-state`;
  const aws = await startLocalAwsForTests();
  await aws.createBucket(ingestionBucket);
  await aws.createBucket(processedBucket);
  await aws.createIdempotencyTable(idempotencyTable);
  await aws.createStateTable(stateTable);
  const source = await createTestDatabase(`${name}_source`);
  const warehouse = await createTestDatabase(`${name}_warehouse`);
  const env: NodeJS.ProcessEnv = {
    INGESTION_BUCKET: ingestionBucket,
    PROCESSED_BUCKET: processedBucket,
    IDEMPOTENCY_TABLE: idempotencyTable,
    PIPELINE_STATE_TABLE: stateTable,
    // The load handler builds (and migrates) its own pool from this, as on a cold start.
    WAREHOUSE_URL: warehouse.url,
  };
  await seedSource(source.pool, options.seed);

  const quiet = () => ({
    logger: new Logger({ serviceName: name, logLevel: 'ERROR' }),
    metrics: new Metrics({ namespace: `totes-${name}`, serviceName: name }),
  });
  const notification = async (bucket: string, key: string, messageId: string) => {
    const head = await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return sqsRecord(
      messageId,
      s3NotificationBody([{ bucket, key, eTag: (head.ETag ?? '').replace(/"/g, '') }]),
    ) as SQSRecord;
  };
  const runHandler = async (handler: BatchHandler, records: readonly SQSRecord[]) => {
    const { result, error } = await captureStdout(() =>
      handler(sqsEvent([...records]) as never, lambdaContext(120_000) as never),
    );
    expect(error).toBeUndefined();
    expect(result).toEqual({ batchItemFailures: [] });
  };
  const processedKeys = async (prefix: string) => {
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: processedBucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
  };
  const loadHandler = (overrides: NodeJS.ProcessEnv = {}) =>
    createLoadHandler({
      env: { ...env, ...overrides },
      dynamoDb: aws.dynamoDb,
      deps: { s3: () => aws.s3 },
      ...quiet(),
    }) as BatchHandler;
  let loadMessages = 0;

  return {
    aws,
    source,
    warehouse,
    env,
    ingestionBucket,
    processedBucket,
    idempotencyTable,
    async extract() {
      const result = await runExtract({
        pool: source.pool,
        s3: aws.s3,
        dynamo: dynamoDbDocumentClient(aws.dynamoDb),
        bucket: ingestionBucket,
        stateTable,
      });
      if (result.status !== 'extracted') throw new Error(`extract did not extract: ${result.status}`);
      return result.manifestKey;
    },
    async transform(ingestionManifest, messageId) {
      const handler = createTransformHandler({ env, s3: aws.s3, dynamoDb: aws.dynamoDb, ...quiet() });
      await runHandler(handler as BatchHandler, [
        await notification(ingestionBucket, ingestionManifest, messageId),
      ]);
      const prefix = ingestionManifest.slice(0, ingestionManifest.lastIndexOf('/') + 1);
      const manifests = (await processedKeys(prefix)).filter((k) => k.endsWith('manifest.json'));
      expect(manifests.length).toBeGreaterThan(0);
      return manifests;
    },
    processedKeys,
    async load(processedManifests) {
      const records = [];
      for (const key of processedManifests) {
        records.push(await notification(processedBucket, key, `load-${++loadMessages}`));
      }
      await runHandler(loadHandler(), records);
    },
    loadHandler,
    notification,
    runHandler,
    async stop() {
      await closeWarehousePool();
      await warehouse.drop();
      await source.drop();
      await aws.stop();
    },
  };
}
