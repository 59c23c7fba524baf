/**
 * The load Lambda, shaped like the extract and the transform: configuration read once
 * (config.ts, in the consumer's `init`: a misconfiguration fails the invocation), the warehouse
 * pool of the container (warehouse-pool.ts), and the shared SQS consumer (partial batch failure,
 * notification parsing, per-object idempotency in DynamoDB, failure records) around the processor
 * (processor.ts): one processed unit → one warehouse transaction.
 *
 * DynamoDB idempotency only saves work here: the warehouse's load ledger is what makes a second
 * application a no-op (a crash between COMMIT and COMPLETED, a lost idempotency table, a redrive).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../../shared/aws/clients.ts';
import { ENV } from '../../../shared/config/env.ts';
import { createSqsHandler, type ProcessObject, type SqsHandler } from '../../../shared/sqs-consumer/index.ts';
import { readLoadConfig } from './config.ts';
import { createLoadProcessor, type LoadDependencies, type LoadObjectResult } from './processor.ts';
import { warehousePool } from './warehouse-pool.ts';

export interface LoadHandlerOptions {
  readonly deps?: Partial<LoadDependencies>;
  readonly env?: NodeJS.ProcessEnv;
  readonly dynamoDb?: DynamoDBClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** The load handler with its collaborators injectable (tests, the local runtime). */
export function createLoadHandler(options: LoadHandlerOptions = {}): SqsHandler {
  let processObject: ProcessObject<LoadObjectResult> | undefined;
  let s3: S3Client | undefined;
  return createSqsHandler({
    stage: 'load',
    sourceBucketEnv: ENV.processedBucket,
    ...(options.env ? { env: options.env } : {}),
    ...(options.dynamoDb ? { dynamoDb: options.dynamoDb } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    init: (env) => {
      const config = readLoadConfig(env, { ownPool: options.deps?.pool !== undefined });
      const warehouse = config.warehouse;
      processObject = createLoadProcessor({
        pool: () => {
          if (!warehouse) throw new Error('load handler has no warehouse configured');
          return warehousePool(warehouse);
        },
        s3: () => {
          s3 ??= s3Client();
          return s3;
        },
        maxObjectBytes: config.maxObjectBytes,
        ...options.deps,
      });
    },
    processObject: (ref, ctx) => {
      if (!processObject) throw new Error('load handler used before init');
      return processObject(ref, ctx);
    },
  });
}

export const handler: SqsHandler = createLoadHandler();
