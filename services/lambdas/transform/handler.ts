/**
 * The transform Lambda: fed by the transform queue (the ingestion bucket's manifest notifications),
 * it turns each ingestion unit into a processed unit of Parquet files plus a processed manifest.
 *
 * Partial batch failure, idempotency per object, failure records, the per-record failure metric
 * and handler-level failure visibility come from shared/sqs-consumer. Configuration: env
 * PROCESSED_BUCKET (here), IDEMPOTENCY_TABLE and PIPELINE_STATE_TABLE (the consumer).
 * Metrics (shared/metrics: CONSUMER_METRICS from the consumer, TRANSFORM_METRICS from here).
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../../shared/aws/clients.ts';
import { ENV, maxObjectBytes, requireEnv } from '../../../shared/config/env.ts';
import { addMetric, TRANSFORM_METRICS } from '../../../shared/metrics/index.ts';
import type { S3ObjectRef } from '../../../shared/s3-events/index.ts';
import {
  createSqsHandler,
  type ProcessContext,
  type SqsHandler,
} from '../../../shared/sqs-consumer/index.ts';
import { type TransformUnitOptions, type TransformUnitResult, transformUnit } from './unit.ts';

export interface TransformHandlerOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly s3?: S3Client;
  readonly dynamoDb?: DynamoDBClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly rowGroupSize?: number;
  readonly concurrency?: number;
}

export async function processManifest(
  ref: S3ObjectRef,
  ctx: ProcessContext,
  unitOptions: TransformUnitOptions,
): Promise<TransformUnitResult> {
  const started = performance.now();
  const result = await transformUnit(ref, unitOptions, (table, rows) => {
    // A single-metric blob keeps the default dimensions (service, stage) and adds `table`.
    const metric = ctx.metrics.singleMetric();
    metric.addDimension('table', table);
    addMetric(metric, TRANSFORM_METRICS.rowsTransformed, rows);
  });
  const durationMs = Math.round(performance.now() - started);
  if (result.alreadyProcessed) {
    addMetric(ctx.metrics, TRANSFORM_METRICS.unitsAlreadyProcessed, 1);
    ctx.logger.info('processed unit already exists, nothing written', { unitId: result.unitId, durationMs });
  } else {
    addMetric(ctx.metrics, TRANSFORM_METRICS.unitsTransformed, 1);
    addMetric(ctx.metrics, TRANSFORM_METRICS.unitDuration, durationMs);
    ctx.logger.info('unit transformed', {
      unitId: result.unitId,
      rows: result.rows,
      objects: result.objects,
      newestSourceUpdate: result.newestSourceUpdate,
      durationMs,
    });
    // Rows held back alone (issue 19 item 6b): the load records them; the alarm is the load's.
    if (result.held)
      ctx.logger.warn('rows held back (listed in the processed manifest, see totes quarantine)', {
        unitId: result.unitId,
        held: result.held,
      });
  }
  return result;
}

export function createTransformHandler(options: TransformHandlerOptions = {}): SqsHandler {
  let unitOptions: TransformUnitOptions | undefined;
  return createSqsHandler({
    stage: 'transform',
    sourceBucketEnv: ENV.ingestionBucket,
    ...(options.env ? { env: options.env } : {}),
    ...(options.dynamoDb ? { dynamoDb: options.dynamoDb } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    init: (env) => {
      unitOptions = {
        s3: options.s3 ?? s3Client(),
        processedBucket: requireEnv(ENV.processedBucket, env),
        maxObjectBytes: maxObjectBytes(env),
        ...(options.rowGroupSize ? { rowGroupSize: options.rowGroupSize } : {}),
      };
    },
    processObject: async (ref, ctx) => {
      if (!unitOptions) throw new Error('transform handler used before init');
      const result = await processManifest(ref, ctx, unitOptions);
      return {
        unitId: result.unitId,
        runId: result.runId,
        alreadyProcessed: result.alreadyProcessed,
        objects: result.objects,
        rows: result.rows as Record<string, number>,
        newestSourceUpdate: result.newestSourceUpdate,
      };
    },
  });
}

export const handler = createTransformHandler();
