import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MiddyfiedHandler } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EnvName } from '../config/env.ts';
import type { ObjectIdentity, S3ObjectRef } from '../s3-events/index.ts';

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
   * The environment variable naming the one bucket this consumer reads (./bucket-check.ts);
   * events for any other bucket fail with ForeignBucketError. Absent: no check.
   */
  readonly sourceBucketEnv?: EnvName;
  /**
   * Stage-specific setup run once per container before the first batch (read the stage's own
   * configuration, build clients). If it throws, it is a handler-level failure (see index.ts) and
   * it runs again on the next invocation.
   */
  readonly init?: (env: NodeJS.ProcessEnv) => void | Promise<void>;
}

export type SqsHandler = MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/** What a record's settled promise resolves to. */
export type RecordOutcome =
  | { readonly kind: 'test-event' }
  | {
      readonly kind: 'objects';
      readonly results: readonly ObjectOutcome[];
    };

/** One object of a record: processed now, or skipped by its idempotency record. */
export interface ObjectOutcome {
  readonly key: string;
  readonly duplicate: boolean;
}
