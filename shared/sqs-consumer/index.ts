/**
 * The SQS consumer shared by the transform and load Lambdas.
 *
 * `createSqsHandler({ stage, processObject })` returns a Middy handler for an SQS batch whose
 * messages are S3 ObjectCreated notifications:
 *
 * - ./partial-batch-failure.ts (the behaviour of @middy/sqs-partial-batch-failure, which has no
 *   release for Middy 7): the inner handler returns `Promise.allSettled` over the records, in
 *   record order, so one bad record is reported alone (`batchItemFailures`).
 * - Each message is parsed (shared/s3-events): several objects per message, decoded keys; an
 *   `s3:TestEvent` is logged and acknowledged without work; anything else fails the record with
 *   `BadNotificationError`.
 * - Each object runs through `processObject(ref, ctx)` made idempotent with
 *   @aws-lambda-powertools/idempotency over DynamoDB, keyed on the object's identity
 *   (bucket + key + versionId/eTag/sequencer, with the stage as key prefix) — never the SQS
 *   messageId, which changes for duplicate notifications and redrives. The IN_PROGRESS mark expires
 *   with the invocation's remaining time (`registerLambdaContext` on every invocation), so a crashed
 *   attempt is retried on redelivery; a failed attempt deletes its mark (Powertools does this), so
 *   nothing blocks the retry. Two notifications of one object in the same batch share one run.
 * - A failed object is logged (with the extract run id), recorded in the state table
 *   (shared/failures), and counted: metric `RecordsFailed` (dimension `stage`), which the alarms
 *   watch. A later success deletes the failure record (best effort).
 *
 * Handler-level failures (configuration missing, a client that cannot be built): the middleware
 * would turn a thrown error into "every record failed" AND a successful invocation, which hides an
 * outage from Lambda's Errors metric. So such a failure is logged at error level, counted
 * (`RecordsFailed` += batch size, `HandlerFailures` += 1) and flushed, and then RE-THROWN past the
 * middleware (the outermost middleware rethrows in onError): the invocation fails, Lambda Errors
 * moves, and SQS redelivers the whole batch — the same effect on the queue as all records failed.
 * Per-object infrastructure failures (DynamoDB down, S3 errors) fail their records and are counted
 * in `RecordsFailed`; they never make the invocation fail.
 */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoDbClient, dynamoDbDocumentClient } from '../aws/clients.ts';
import { ENV, requireEnv } from '../config/env.ts';
import { describeError, type FailureStore, failureStore } from '../failures/index.ts';
import {
  type ObjectIdentity,
  objectIdentity,
  objectIdentityKey,
  parseS3NotificationBody,
  runIdFromKey,
  type S3ObjectRef,
} from '../s3-events/index.ts';
import { sqsPartialBatchFailure } from './partial-batch-failure.ts';

export type ConsumerStage = 'transform' | 'load';

/** What the idempotency table stores as the result of one object (keep it small). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ProcessContext {
  readonly stage: ConsumerStage;
  readonly messageId: string;
  /** SQS ApproximateReceiveCount of the message (1 on the first delivery). */
  readonly attempt: number;
  /** The extract run id parsed from the key (null if the key is outside the unit layout). */
  readonly runId: string | null;
  readonly identity: ObjectIdentity;
  /** A child logger carrying stage, runId, bucket, key, messageId. */
  readonly logger: Logger;
  /** Add stage-specific metrics (rows per table, ...); flushed at the end of the invocation. */
  readonly metrics: Metrics;
  readonly lambdaContext: Context;
}

export type ProcessObject<TResult extends JsonValue = JsonValue> = (
  ref: S3ObjectRef,
  ctx: ProcessContext,
) => Promise<TResult>;

export interface SqsHandlerOptions<TResult extends JsonValue = JsonValue> {
  readonly stage: ConsumerStage;
  readonly processObject: ProcessObject<TResult>;
  /** Defaults: a Powertools Logger / Metrics from the POWERTOOLS_* environment. */
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Environment to read IDEMPOTENCY_TABLE and PIPELINE_STATE_TABLE from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** DynamoDB client for idempotency and failure records (default: shared/aws/clients.ts). */
  readonly dynamoDb?: DynamoDBClient;
  /** How long a COMPLETED idempotency record is kept (default 24 h). */
  readonly idempotencyExpiresAfterSeconds?: number;
  /** Records processed at once within a batch (default 2: bounds memory of large units). */
  readonly concurrency?: number;
  /**
   * Stage-specific setup run once per container before the first batch (read the stage's own
   * configuration, build clients). If it throws, it is a handler-level failure (see above) and it
   * runs again on the next invocation.
   */
  readonly init?: (env: NodeJS.ProcessEnv) => void | Promise<void>;
}

export type SqsHandler = MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/** Metric names (namespace POWERTOOLS_METRICS_NAMESPACE, dimensions `service` and `stage`). */
export const METRICS = {
  recordsSucceeded: 'RecordsSucceeded',
  recordsFailed: 'RecordsFailed',
  handlerFailures: 'HandlerFailures',
  testEvents: 'TestEventsAcknowledged',
  objectsProcessed: 'ObjectsProcessed',
  objectsSkippedDuplicate: 'ObjectsSkippedDuplicate',
  recordDuration: 'RecordDuration',
  batchDuration: 'BatchDuration',
} as const;

export const DEFAULT_METRICS_NAMESPACE = 'totes';

/** What a record's settled promise resolves to. */
export type RecordOutcome =
  | { readonly kind: 'test-event' }
  | {
      readonly kind: 'objects';
      readonly results: readonly { readonly key: string; readonly duplicate: boolean }[];
    };

/** Thrown when the handler cannot run at all; the invocation fails after it is counted and logged. */
export class HandlerSetupError extends Error {
  override name = 'HandlerSetupError';
}

interface Runtime {
  readonly idempotencyConfig: IdempotencyConfig;
  readonly persistenceStore: DynamoDBPersistenceLayer;
  readonly failures: FailureStore;
}

function attemptOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
function allSettledLimited<T>(
  tasks: readonly (() => Promise<T>)[],
  limit: number,
): Promise<PromiseSettledResult<T>[]> {
  const promises: Promise<T>[] = new Array(tasks.length);
  let next = 0;
  let running = 0;
  return new Promise((resolveAll) => {
    const settled: PromiseSettledResult<T>[] = new Array(tasks.length);
    let done = 0;
    if (tasks.length === 0) {
      resolveAll(settled);
      return;
    }
    const launch = () => {
      while (running < limit && next < tasks.length) {
        const index = next++;
        running++;
        promises[index] = Promise.resolve().then(tasks[index]!);
        promises[index]
          .then(
            (value) => {
              settled[index] = { status: 'fulfilled', value };
            },
            (reason: unknown) => {
              settled[index] = { status: 'rejected', reason };
            },
          )
          .finally(() => {
            running--;
            done++;
            if (done === tasks.length) resolveAll(settled);
            else launch();
          });
      }
    };
    launch();
  });
}

export function createSqsHandler<TResult extends JsonValue = JsonValue>(
  options: SqsHandlerOptions<TResult>,
): SqsHandler {
  const { stage, processObject } = options;
  const logger =
    options.logger ?? new Logger({ serviceName: process.env[ENV.serviceName] ?? `totes-${stage}` });
  const metrics =
    options.metrics ??
    new Metrics({
      namespace: process.env[ENV.metricsNamespace] ?? DEFAULT_METRICS_NAMESPACE,
      serviceName: process.env[ENV.serviceName] ?? `totes-${stage}`,
    });
  metrics.setDefaultDimensions({ stage });
  const concurrency = Math.max(1, options.concurrency ?? 2);
  let runtime: Runtime | undefined;

  /** Built on first use, so a missing variable is a handler-level failure that is seen, not an init crash. */
  const getRuntime = async (): Promise<Runtime> => {
    if (runtime) return runtime;
    const env = options.env ?? process.env;
    const idempotencyTable = requireEnv(ENV.idempotencyTable, env);
    const stateTable = requireEnv(ENV.stateTable, env);
    await options.init?.(env);
    const client = options.dynamoDb ?? dynamoDbClient();
    runtime = {
      idempotencyConfig: new IdempotencyConfig({
        expiresAfterSeconds: options.idempotencyExpiresAfterSeconds ?? 24 * 3600,
      }),
      persistenceStore: new DynamoDBPersistenceLayer({ tableName: idempotencyTable, awsSdkV3Client: client }),
      failures: failureStore({ tableName: stateTable, client: dynamoDbDocumentClient(client) }),
    };
    return runtime;
  };

  const processOne = async (
    rt: Runtime,
    ref: S3ObjectRef,
    record: SQSRecord,
    lambdaContext: Context,
  ): Promise<{ key: string; duplicate: boolean }> => {
    const identity = objectIdentity(ref);
    const runId = runIdFromKey(ref.key);
    const child = logger.createChild({
      persistentKeys: {
        stage,
        runId: runId ?? undefined,
        bucket: ref.bucket,
        key: ref.key,
        messageId: record.messageId,
        objectVersion: identity.version,
      },
    });
    const ctx: ProcessContext = {
      stage,
      messageId: record.messageId,
      attempt: attemptOf(record),
      runId,
      identity,
      logger: child,
      metrics,
      lambdaContext,
    };
    let executed = false;
    const idempotent = makeIdempotent(
      async (_identity: ObjectIdentity): Promise<TResult> => {
        executed = true;
        return processObject(ref, ctx);
      },
      { persistenceStore: rt.persistenceStore, config: rt.idempotencyConfig, keyPrefix: `totes-${stage}` },
    );
    const started = performance.now();
    try {
      await idempotent(identity);
    } catch (error) {
      const described = describeError(error);
      child.error('object failed', { attempt: ctx.attempt, ...described, error: error as Error });
      try {
        await rt.failures.record({
          stage,
          bucket: ref.bucket,
          key: ref.key,
          messageId: record.messageId,
          eTag: ref.eTag ?? null,
          error,
          attempt: ctx.attempt,
        });
      } catch (recordError) {
        child.error('could not record the failure in the state table', { error: recordError as Error });
      }
      throw error;
    }
    const duplicate = !executed;
    metrics.addMetric(
      duplicate ? METRICS.objectsSkippedDuplicate : METRICS.objectsProcessed,
      MetricUnit.Count,
      1,
    );
    child.info(duplicate ? 'object already processed (idempotency record), skipped' : 'object processed', {
      attempt: ctx.attempt,
      durationMs: Math.round(performance.now() - started),
    });
    if (!duplicate) {
      // If an earlier attempt (or an earlier message, before a redrive) failed, its failure
      // record no longer applies. One small delete per processed object; best effort.
      try {
        await rt.failures.clear(stage, ref.bucket, ref.key);
      } catch (clearError) {
        child.warn('could not clear the earlier failure record', { error: clearError as Error });
      }
    }
    return { key: ref.key, duplicate };
  };

  const lambdaHandler = async (
    event: SQSEvent,
    context: Context,
  ): Promise<PromiseSettledResult<RecordOutcome>[]> => {
    const records = event.Records ?? [];
    const batchStarted = performance.now();
    let rt: Runtime;
    try {
      rt = await getRuntime();
      rt.idempotencyConfig.registerLambdaContext(context);
    } catch (error) {
      const described = describeError(error);
      logger.error('handler cannot run: every record of the batch fails and the invocation fails', {
        stage,
        records: records.length,
        messageIds: records.map((r) => r.messageId),
        ...described,
        error: error as Error,
      });
      metrics.addMetric(METRICS.handlerFailures, MetricUnit.Count, 1);
      if (records.length > 0) metrics.addMetric(METRICS.recordsFailed, MetricUnit.Count, records.length);
      metrics.publishStoredMetrics();
      throw new HandlerSetupError(`${stage} handler cannot run: ${described.errorMessage}`, { cause: error });
    }

    // Two notifications of the same object in one batch share one run (the second would otherwise
    // find the first's IN_PROGRESS mark and fail needlessly).
    const inBatch = new Map<string, Promise<{ key: string; duplicate: boolean }>>();

    const processRecord = async (record: SQSRecord): Promise<RecordOutcome> => {
      const started = performance.now();
      const attempt = attemptOf(record);
      try {
        let parsed: ReturnType<typeof parseS3NotificationBody>;
        try {
          parsed = parseS3NotificationBody(record.body);
        } catch (error) {
          const described = describeError(error);
          logger.error('message is not an S3 notification', {
            stage,
            messageId: record.messageId,
            attempt,
            ...described,
            body: record.body.slice(0, 1000),
          });
          try {
            await rt.failures.record({
              stage,
              bucket: null,
              key: null,
              messageId: record.messageId,
              eTag: null,
              error,
              attempt,
            });
          } catch (recordError) {
            logger.error('could not record the failure in the state table', { error: recordError as Error });
          }
          throw error;
        }
        if (parsed.kind === 'test-event') {
          logger.info('s3:TestEvent acknowledged without work', {
            stage,
            messageId: record.messageId,
            bucket: parsed.bucket,
          });
          metrics.addMetric(METRICS.testEvents, MetricUnit.Count, 1);
          return { kind: 'test-event' };
        }
        const results: { key: string; duplicate: boolean }[] = [];
        let firstError: unknown;
        // Objects of one message run one after another; all are attempted, the record fails if any did.
        for (const ref of parsed.objects) {
          const id = objectIdentityKey(ref);
          let run = inBatch.get(id);
          if (!run) {
            run = processOne(rt, ref, record, context);
            inBatch.set(id, run);
          }
          try {
            results.push(await run);
          } catch (error) {
            firstError ??= error;
          }
        }
        if (firstError !== undefined) throw firstError;
        metrics.addMetric(METRICS.recordsSucceeded, MetricUnit.Count, 1);
        return { kind: 'objects', results };
      } catch (error) {
        metrics.addMetric(METRICS.recordsFailed, MetricUnit.Count, 1);
        throw error;
      } finally {
        metrics.addMetric(METRICS.recordDuration, MetricUnit.Milliseconds, performance.now() - started);
      }
    };

    try {
      return await allSettledLimited(
        records.map((record) => () => processRecord(record)),
        concurrency,
      );
    } finally {
      metrics.addMetric(METRICS.batchDuration, MetricUnit.Milliseconds, performance.now() - batchStarted);
      metrics.publishStoredMetrics();
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use({
      // Registered first, so its onError runs LAST (after the partial-batch middleware turned the
      // error into "all failed"): a handler-level failure must fail the invocation (Lambda Errors).
      onError: async (request) => {
        if (request.error instanceof HandlerSetupError) throw request.error;
      },
    })
    .use(sqsPartialBatchFailure({ logger: () => undefined }))
    .handler(lambdaHandler as unknown as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>);
}
