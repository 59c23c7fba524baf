/**
 * The SQS consumer shared by the transform and load Lambdas. Split as Powertools splits its
 * packages: types.ts, errors.ts, create-sqs-handler.ts (the Middy wiring), record-processor.ts (one
 * SQS record), object-processor.ts (one object, idempotent), consumer-runtime.ts (idempotency
 * persistence and failure store, built once), middleware/ (one Middy middleware per file),
 * all-settled-limited.ts (bounded Promise.allSettled).
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
 * - Each attempt's start is recorded in the state table before its work begins (an attempt that
 *   never ends leaves it, for `totes dlq inspect`); the start record and the idempotency mark are
 *   written side by side, the work waiting for both (object-processor.ts).
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

export { ForeignBucketError } from './bucket-check.ts';
export { createSqsHandler } from './create-sqs-handler.ts';
export { HandlerSetupError } from './errors.ts';
export type {
  ConsumerStage,
  JsonValue,
  ObjectOutcome,
  ProcessContext,
  ProcessObject,
  RecordOutcome,
  SqsHandler,
  SqsHandlerOptions,
} from './types.ts';
