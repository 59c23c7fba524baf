/**
 * `createSqsHandler({ stage, processObject })`: the Middy handler for an SQS batch of S3
 * notifications (see index.ts for the whole contract). The inner handler returns
 * `Promise.allSettled` over the records, in record order, for ./partial-batch-failure.ts (our own: @middy/sqs-partial-batch-failure has no 7.x).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../config/env.ts';
import { describeError } from '../failures/index.ts';
import { addMetric, CONSUMER_METRICS, metricsNamespace } from '../metrics/index.ts';
import { allSettledLimited } from './all-settled-limited.ts';
import { type ConsumerRuntime, lazyConsumerRuntime } from './consumer-runtime.ts';
import { HandlerSetupError } from './errors.ts';
import { rethrowHandlerSetupError } from './middleware/rethrow-handler-setup-error.ts';
import { objectProcessor } from './object-processor.ts';
import { sqsPartialBatchFailure } from './partial-batch-failure.ts';
import { batchRecordProcessor } from './record-processor.ts';
import type { JsonValue, RecordOutcome, SqsHandler, SqsHandlerOptions } from './types.ts';

export function createSqsHandler<TResult extends JsonValue = JsonValue>(
  options: SqsHandlerOptions<TResult>,
): SqsHandler {
  const { stage } = options;
  const logger =
    options.logger ?? new Logger({ serviceName: process.env[ENV.serviceName] ?? `totes-${stage}` });
  const metrics =
    options.metrics ??
    new Metrics({
      namespace: metricsNamespace(),
      serviceName: process.env[ENV.serviceName] ?? `totes-${stage}`,
    });
  metrics.setDefaultDimensions({ stage });
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const getRuntime = lazyConsumerRuntime(options);
  const processObject = objectProcessor({ stage, processObject: options.processObject, logger, metrics });

  const lambdaHandler = async (
    event: SQSEvent,
    context: Context,
  ): Promise<PromiseSettledResult<RecordOutcome>[]> => {
    const records = event.Records ?? [];
    const batchStarted = performance.now();
    let rt: ConsumerRuntime;
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
      addMetric(metrics, CONSUMER_METRICS.handlerFailures, 1);
      if (records.length > 0) addMetric(metrics, CONSUMER_METRICS.recordsFailed, records.length);
      metrics.publishStoredMetrics();
      throw new HandlerSetupError(`${stage} handler cannot run: ${described.errorMessage}`, { cause: error });
    }

    const processRecord = batchRecordProcessor({ stage, logger, metrics, processObject }, rt, context);
    try {
      return await allSettledLimited(
        records.map((record) => () => processRecord(record)),
        concurrency,
      );
    } finally {
      addMetric(metrics, CONSUMER_METRICS.batchDuration, performance.now() - batchStarted);
      metrics.publishStoredMetrics();
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(rethrowHandlerSetupError())
    .use(sqsPartialBatchFailure({ logger: () => undefined }))
    .handler(lambdaHandler as unknown as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>);
}
