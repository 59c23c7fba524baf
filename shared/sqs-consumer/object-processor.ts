/**
 * One object named by a notification, made idempotent with Powertools over DynamoDB, keyed on the
 * object's identity (bucket + key + versionId/eTag/sequencer, the stage as key prefix), never the
 * SQS messageId. A failure is logged with the run id, recorded in the state table
 * (shared/failures), and rethrown; a success clears an earlier failure record (best effort).
 */
import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSRecord } from 'aws-lambda';
import { describeError, truncateText } from '../failures/index.ts';
import { runIdFromKey } from '../lake/keys.ts';
import { addMetric, CONSUMER_METRICS } from '../metrics/index.ts';
import { type ObjectIdentity, objectIdentity, type S3ObjectRef } from '../s3-events/index.ts';
import { attemptOf } from './attempt.ts';
import { assertConfiguredBucket } from './bucket-check.ts';
import type { ConsumerRuntime } from './consumer-runtime.ts';
import type { ConsumerStage, JsonValue, ObjectOutcome, ProcessContext, ProcessObject } from './types.ts';

export interface ObjectProcessorOptions<TResult extends JsonValue> {
  readonly stage: ConsumerStage;
  readonly processObject: ProcessObject<TResult>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type ObjectProcessor = (
  rt: ConsumerRuntime,
  ref: S3ObjectRef,
  record: SQSRecord,
  lambdaContext: Context,
) => Promise<ObjectOutcome>;

export function objectProcessor<TResult extends JsonValue>(
  options: ObjectProcessorOptions<TResult>,
): ObjectProcessor {
  const { stage, processObject, logger, metrics } = options;
  return async (rt, ref, record, lambdaContext) => {
    const identity = objectIdentity(ref);
    const runId = runIdFromKey(ref.key);
    const child = logger.createChild({
      persistentKeys: {
        stage,
        runId: runId ?? undefined,
        bucket: truncateText(ref.bucket, 255),
        // A poison key can be any length: every log line carries at most 1 KB of it.
        key: truncateText(ref.key),
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
      assertConfiguredBucket(ref.bucket, rt.expectedBucket);
      // Recorded before the work: an attempt that never ends (timeout, dead container) leaves it.
      try {
        await rt.failures.recordStart({
          stage,
          bucket: ref.bucket,
          key: ref.key,
          messageId: record.messageId,
          attempt: ctx.attempt,
          timeoutSeconds: Math.round(lambdaContext.getRemainingTimeInMillis() / 1000),
        });
      } catch (startError) {
        child.warn('could not record the start of the attempt', { error: startError as Error });
      }
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
    addMetric(
      metrics,
      duplicate ? CONSUMER_METRICS.objectsSkippedDuplicate : CONSUMER_METRICS.objectsProcessed,
      1,
    );
    child.info(duplicate ? 'object already processed (idempotency record), skipped' : 'object processed', {
      attempt: ctx.attempt,
      durationMs: Math.round(performance.now() - started),
    });
    // This attempt's start, and any earlier failure (an earlier attempt, or an earlier message
    // before a redrive), no longer apply. Best effort.
    try {
      await rt.failures.clear(stage, ref.bucket, ref.key);
    } catch (clearError) {
      child.warn('could not clear the earlier failure record', { error: clearError as Error });
    }
    return { key: ref.key, duplicate };
  };
}
