/**
 * Why a message failed, kept where the on-call tooling can read it (SQS cannot annotate a message).
 *
 * One item per failed object in the pipeline state table:
 *   pk = 'FAILURE#<stage>', sk = '<bucket>/<key>'
 *   attributes: stage, bucket, key, messageId, eTag, errorClass, errorMessage, rootErrorClass,
 *   attempt (the SQS ApproximateReceiveCount), failedAt (ISO 8601), expires_at (TTL, epoch seconds).
 *
 * The latest attempt overwrites the previous one (the item says why the object is failing NOW).
 * A message whose body is not a notification has no object: it is recorded under
 * sk = 'message/<messageId>' with bucket and key null.
 *
 * When the object later succeeds (a fix shipped, the DLQ redriven) the SQS consumer deletes the
 * item, so `listFailures` shows what is still failing; the DLQ message itself is gone by then.
 *
 * Keys of any length (./record-key.ts): a `bucket/key` over DynamoDB's 1,024-byte sort-key limit
 * is stored under its SHA-256, with the key text cut to 1,024 characters (`keyLength` keeps the
 * real length).
 *
 * Attempts that never finish (the function timed out, the container died): before the work, the
 * consumer records the attempt's start under pk = 'ATTEMPT#<stage>' (same sk; a separate partition
 * so the alarms, which count failures, do not count attempts in progress). A success deletes both
 * items; `dlq show` shows a start newer than the last failure as "started at T, no result".
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { failureSortKey, MAX_KEY_TEXT } from './record-key.ts';

export { failureSortKey, truncateText } from './record-key.ts';

export const FAILURE_PK_PREFIX = 'FAILURE#';
export const ATTEMPT_PK_PREFIX = 'ATTEMPT#';
/** Failure items outlive the DLQ's 14-day retention. */
export const FAILURE_TTL_SECONDS = 30 * 24 * 3600;
const MAX_MESSAGE_LENGTH = 8000;

export interface FailureInput {
  readonly stage: string;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly messageId: string;
  readonly eTag: string | null;
  readonly error: unknown;
  readonly attempt: number;
  readonly failedAt?: Date;
}

export interface FailureRecord {
  readonly stage: string;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly messageId: string;
  readonly eTag: string | null;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly rootErrorClass: string;
  readonly attempt: number;
  readonly failedAt: string;
  /** Length of the full key when `key` holds only its first 1,024 characters. */
  readonly keyLength?: number;
}

export interface AttemptStartInput {
  readonly stage: string;
  readonly bucket: string;
  readonly key: string;
  readonly messageId: string;
  readonly attempt: number;
  /** The function's configured timeout, when known (Lambda: remaining time at the start). */
  readonly timeoutSeconds: number | null;
  readonly startedAt?: Date;
}

export interface AttemptStart {
  readonly stage: string;
  readonly bucket: string;
  readonly key: string;
  readonly messageId: string;
  readonly attempt: number;
  readonly timeoutSeconds: number | null;
  readonly startedAt: string;
}

export interface DescribedError {
  /** Name of the error that failed the record (e.g. 'UnknownColumnError'). */
  readonly errorClass: string;
  /** Name of the innermost `cause` (e.g. the database driver's error). */
  readonly rootErrorClass: string;
  /** Every message along the `cause` chain, outermost first, joined by ' <- '. */
  readonly errorMessage: string;
}

const errorName = (error: unknown): string => {
  if (error instanceof Error) {
    return error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
  }
  return typeof error;
};

/** Walks `error.cause` (and AggregateError.errors) so the underlying text (a database's) is kept. */
export function describeError(error: unknown): DescribedError {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  let root: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current) && parts.length < 10) {
    seen.add(current);
    root = current;
    if (current instanceof Error) {
      const prefix = parts.length === 0 ? '' : `${errorName(current)}: `;
      let message = `${prefix}${current.message}`;
      if (current instanceof AggregateError && current.errors.length > 0) {
        message += ` [${current.errors.map((e) => describeError(e).errorMessage).join('; ')}]`;
      }
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string' && !message.includes(code)) message += ` (code ${code})`;
      parts.push(message);
      current = current.cause;
    } else {
      parts.push(`${parts.length === 0 ? '' : 'thrown: '}${String(current)}`);
      current = undefined;
    }
  }
  const errorMessage = parts.join(' <- ');
  return {
    errorClass: errorName(error),
    rootErrorClass: errorName(root),
    errorMessage:
      errorMessage.length > MAX_MESSAGE_LENGTH
        ? `${errorMessage.slice(0, MAX_MESSAGE_LENGTH)}…`
        : errorMessage,
  };
}

export function failurePk(stage: string): string {
  return `${FAILURE_PK_PREFIX}${stage}`;
}

export function failureSk(bucket: string | null, key: string | null, messageId: string): string {
  return failureSortKey(bucket, key, messageId);
}

export interface FailureStore {
  record(failure: FailureInput): Promise<FailureRecord>;
  get(stage: string, bucket: string, key: string): Promise<FailureRecord | undefined>;
  list(stage: string, options?: { readonly limit?: number }): Promise<FailureRecord[]>;
  /** Deletes the failure and the attempt-start records of the object. */
  clear(stage: string, bucket: string, key: string): Promise<void>;
  /** Records that an attempt starts, before its work (see the module comment). */
  recordStart(start: AttemptStartInput): Promise<void>;
  getStart(stage: string, bucket: string, key: string): Promise<AttemptStart | undefined>;
}

function toRecord(item: Record<string, unknown>): FailureRecord {
  return {
    stage: String(item.stage),
    bucket: typeof item.bucket === 'string' ? item.bucket : null,
    key: typeof item.key === 'string' ? item.key : null,
    messageId: String(item.messageId),
    eTag: typeof item.eTag === 'string' ? item.eTag : null,
    errorClass: String(item.errorClass),
    errorMessage: String(item.errorMessage),
    rootErrorClass: typeof item.rootErrorClass === 'string' ? item.rootErrorClass : String(item.errorClass),
    attempt: Number(item.attempt),
    failedAt: String(item.failedAt),
    ...(typeof item.keyLength === 'number' ? { keyLength: item.keyLength } : {}),
  };
}

export function failureStore(options: {
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
}): FailureStore {
  const { tableName, client } = options;
  return {
    async record(failure) {
      const failedAt = failure.failedAt ?? new Date();
      const described = describeError(failure.error);
      const record: FailureRecord = {
        stage: failure.stage,
        bucket: failure.bucket,
        key: failure.key === null ? null : failure.key.slice(0, MAX_KEY_TEXT),
        ...(failure.key !== null && failure.key.length > MAX_KEY_TEXT
          ? { keyLength: failure.key.length }
          : {}),
        messageId: failure.messageId,
        eTag: failure.eTag,
        ...described,
        attempt: failure.attempt,
        failedAt: failedAt.toISOString(),
      };
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: failurePk(failure.stage),
            sk: failureSk(failure.bucket, failure.key, failure.messageId),
            ...record,
            expires_at: Math.floor(failedAt.getTime() / 1000) + FAILURE_TTL_SECONDS,
          },
        }),
      );
      return record;
    },
    async get(stage, bucket, key) {
      const result = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: failurePk(stage), sk: failureSk(bucket, key, '') },
          ConsistentRead: true,
        }),
      );
      return result.Item ? toRecord(result.Item) : undefined;
    },
    async list(stage, listOptions = {}) {
      const records: FailureRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': failurePk(stage) },
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        );
        for (const item of page.Items ?? []) records.push(toRecord(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey && (listOptions.limit === undefined || records.length < listOptions.limit));
      return listOptions.limit === undefined ? records : records.slice(0, listOptions.limit);
    },
    async clear(stage, bucket, key) {
      const sk = failureSk(bucket, key, '');
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: failurePk(stage), sk } }));
      await client.send(
        new DeleteCommand({ TableName: tableName, Key: { pk: `${ATTEMPT_PK_PREFIX}${stage}`, sk } }),
      );
    },
    async recordStart(start) {
      const startedAt = start.startedAt ?? new Date();
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `${ATTEMPT_PK_PREFIX}${start.stage}`,
            sk: failureSk(start.bucket, start.key, start.messageId),
            stage: start.stage,
            bucket: start.bucket,
            key: start.key.slice(0, MAX_KEY_TEXT),
            messageId: start.messageId,
            attempt: start.attempt,
            timeoutSeconds: start.timeoutSeconds,
            startedAt: startedAt.toISOString(),
            expires_at: Math.floor(startedAt.getTime() / 1000) + FAILURE_TTL_SECONDS,
          },
        }),
      );
    },
    async getStart(stage, bucket, key) {
      const result = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: `${ATTEMPT_PK_PREFIX}${stage}`, sk: failureSk(bucket, key, '') },
          ConsistentRead: true,
        }),
      );
      const item = result.Item;
      if (!item) return undefined;
      return {
        stage: String(item.stage),
        bucket: String(item.bucket),
        key: String(item.key),
        messageId: String(item.messageId),
        attempt: Number(item.attempt),
        timeoutSeconds: typeof item.timeoutSeconds === 'number' ? item.timeoutSeconds : null,
        startedAt: String(item.startedAt),
      };
    },
  };
}
