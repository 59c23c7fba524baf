/**
 * Middy middleware that turns an SQS handler's per-record results into Lambda's partial batch
 * response (`ReportBatchItemFailures`): only the failed records return to the queue.
 *
 * Our own, instead of @middy/sqs-partial-batch-failure: that package never had a 7.x (6.4.5 is its
 * newest, November 2026) while @middy/core is on 7, and the whole middleware is this page. It
 * reproduces 6.4.5's documented behaviour exactly:
 * - after: the handler's response is one `PromiseSettledResult` per record, in record order; each
 *   rejected one becomes `{ itemIdentifier: messageId }` and is passed to `logger(reason, record)`;
 *   the response becomes `{ batchItemFailures }`.
 * - onError: if no response was set, every record is marked failed with the error (the whole batch
 *   returns to the queue) and `after` runs; an invocation whose error must surface rethrows it from
 *   an outer middleware (shared/sqs-consumer/index.ts does for handler setup failures).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type RecordResults = readonly PromiseSettledResult<unknown>[];

export interface PartialBatchFailureOptions {
  /** Called for each failed record (default: console.error, as the Middy package). */
  readonly logger?: ((reason: unknown, record: SQSRecord) => void) | false;
}

type SqsRequest = Request<SQSEvent, RecordResults | SQSBatchResponse, Error, Context>;

export function sqsPartialBatchFailure(
  options: PartialBatchFailureOptions = {},
): MiddlewareObj<SQSEvent, RecordResults | SQSBatchResponse, Error, Context> {
  const logger = options.logger ?? console.error;

  const after = async (request: SqsRequest): Promise<void> => {
    const records = request.event.Records;
    const results = request.response as RecordResults;
    const batchItemFailures: SQSBatchItemFailure[] = [];
    if (Array.isArray(records)) {
      records.forEach((record, index) => {
        const result = results[index];
        if (result?.status === 'fulfilled') return;
        batchItemFailures.push({ itemIdentifier: record.messageId });
        if (typeof logger === 'function') logger(result?.reason, record);
      });
    }
    request.response = { batchItemFailures };
  };

  const onError = async (request: SqsRequest): Promise<void> => {
    if (request.response !== undefined) return;
    request.response = Array.from({ length: request.event.Records?.length ?? 0 }, () => ({
      status: 'rejected' as const,
      reason: request.error,
    }));
    await after(request);
  };

  return { after, onError };
}
