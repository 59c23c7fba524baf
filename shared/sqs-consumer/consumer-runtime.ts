/**
 * What the consumer needs from its environment, built once per container on first use (so a
 * missing variable is a handler-level failure that is seen, not an init crash): the idempotency
 * persistence in DynamoDB and the failure-record store, after the stage's own `init`.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamoDbClient, dynamoDbDocumentClient } from '../aws/clients.ts';
import { ENV, requireEnv } from '../config/env.ts';
import { type FailureStore, failureStore } from '../failures/index.ts';
import type { JsonValue, SqsHandlerOptions } from './types.ts';

export interface ConsumerRuntime {
  readonly idempotencyConfig: IdempotencyConfig;
  readonly persistenceStore: DynamoDBPersistenceLayer;
  readonly failures: FailureStore;
  /** The one bucket this consumer reads (./bucket-check.ts); undefined: no check. */
  readonly expectedBucket: string | undefined;
}

/** A getter that builds the runtime on its first successful call and keeps it. */
export function lazyConsumerRuntime<TResult extends JsonValue>(
  options: SqsHandlerOptions<TResult>,
): () => Promise<ConsumerRuntime> {
  let runtime: ConsumerRuntime | undefined;
  return async () => {
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
      expectedBucket: options.sourceBucketEnv ? requireEnv(options.sourceBucketEnv, env) : undefined,
    };
    return runtime;
  };
}
