/**
 * One object named by a notification, made idempotent with Powertools over DynamoDB, keyed on the
 * object's identity (bucket + key + versionId/eTag/sequencer, the stage as key prefix), never the
 * SQS messageId. A failure is logged with the run id, recorded in the state table
 * (shared/failures), and rethrown; a success clears an earlier failure record (best effort).
 *
 * The attempt's start record and the idempotency claim (Powertools' in-progress record) are two
 * independent DynamoDB writes: they go out side by side, and the work waits for the start record
 * before it begins, so it is still recorded before the work (an attempt that never ends leaves it)
 * at the cost of one round trip on the critical path instead of two (issue 18 goal 5).
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
  coldStart?: boolean,
) => Promise<ObjectOutcome>;

export function objectProcessor<TResult extends JsonValue>(
  options: ObjectProcessorOptions<TResult>,
): ObjectProcessor {
  const { stage, processObject, logger, metrics } = options;
  return async (rt, ref, record, lambdaContext, coldStart = false) => {
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
    // A child logger is a new Logger, whose own first addContext reports cold_start true; adding
    // the context a second time turns it to false, which is right on every warm invocation.
    if (!coldStart) child.addContext(lambdaContext);
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
    // Settles (never rejects) once the attempt's start record is written or could not be.
    let startRecorded: Promise<void> = Promise.resolve();
    const idempotent = makeIdempotent(
      async (_identity: ObjectIdentity): Promise<TResult> => {
        executed = true;
        // Recorded before the work: an attempt that never ends (timeout, dead container) leaves it.
        await startRecorded;
        return processObject(ref, ctx);
      },
      { persistenceStore: rt.persistenceStore, config: rt.idempotencyConfig, keyPrefix: `totes-${stage}` },
    );
    const started = performance.now();
    try {
      assertConfiguredBucket(ref.bucket, rt.expectedBucket);
      startRecorded = rt.failures
        .recordStart({
          stage,
          bucket: ref.bucket,
          key: ref.key,
          messageId: record.messageId,
          attempt: ctx.attempt,
          timeoutSeconds: Math.round(lambdaContext.getRemainingTimeInMillis() / 1000),
        })
        .catch((startError: unknown) => {
          child.warn('could not record the start of the attempt', { error: startError as Error });
        });
      // Side by side with the start record (the work itself waits for it, above).
      await idempotent(identity);
    } catch (error) {
      // The start record lands before the failure record (and never after a clear).
      await startRecorded;
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
    // before a redrive), no longer apply. Best effort. A duplicate never waited for its start
    // record: it must land before the clear, or it would outlive it.
    await startRecorded;
    try {
      await rt.failures.clear(stage, ref.bucket, ref.key);
    } catch (clearError) {
      child.warn('could not clear the earlier failure record', { error: clearError as Error });
    }
    return { key: ref.key, duplicate };
  };
}
