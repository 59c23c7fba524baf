/**
 * One SQS record: its body parsed as an S3 notification (shared/s3-events). An `s3:TestEvent` is
 * logged and acknowledged without work; a body that is not a notification fails the record with
 * BadNotificationError (recorded); otherwise every object of the message is processed, one after
 * another, and the record fails if any did. Two notifications of one object in the same batch
 * share one run (the second would otherwise find the first's IN_PROGRESS mark and fail needlessly).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSRecord } from 'aws-lambda';
import { describeError, truncateText } from '../failures/index.ts';
import { addMetric, CONSUMER_METRICS } from '../metrics/index.ts';
import { objectIdentityKey, parseS3NotificationBody } from '../s3-events/index.ts';
import { attemptOf } from './attempt.ts';
import type { ConsumerRuntime } from './consumer-runtime.ts';
import type { ObjectProcessor } from './object-processor.ts';
import type { ConsumerStage, ObjectOutcome, RecordOutcome } from './types.ts';

export interface RecordProcessorOptions {
  readonly stage: ConsumerStage;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly processObject: ObjectProcessor;
}

/** Processes the records of one batch; `(record) => outcome`, sharing runs of one object. */
export function batchRecordProcessor(
  options: RecordProcessorOptions,
  rt: ConsumerRuntime,
  context: Context,
): (record: SQSRecord) => Promise<RecordOutcome> {
  const { stage, logger, metrics, processObject } = options;
  const inBatch = new Map<string, Promise<ObjectOutcome>>();

  return async (record) => {
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
          // 1 KB and the length: a poison body would otherwise be logged whole on every attempt.
          body: truncateText(record.body, 1000),
          bodyLength: record.body.length,
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
        addMetric(metrics, CONSUMER_METRICS.testEvents, 1);
        return { kind: 'test-event' };
      }
      const results: ObjectOutcome[] = [];
      let firstError: unknown;
      // Objects of one message run one after another; all are attempted, the record fails if any did.
      for (const ref of parsed.objects) {
        const id = objectIdentityKey(ref);
        let run = inBatch.get(id);
        if (!run) {
          run = processObject(rt, ref, record, context);
          inBatch.set(id, run);
        }
        try {
          results.push(await run);
        } catch (error) {
          firstError ??= error;
        }
      }
      if (firstError !== undefined) throw firstError;
      addMetric(metrics, CONSUMER_METRICS.recordsSucceeded, 1);
      return { kind: 'objects', results };
    } catch (error) {
      addMetric(metrics, CONSUMER_METRICS.recordsFailed, 1);
      throw error;
    } finally {
      addMetric(metrics, CONSUMER_METRICS.recordDuration, performance.now() - started);
    }
  };
}
