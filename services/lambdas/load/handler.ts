/**
 * The load Lambda: the shared SQS consumer (partial batch failure, notification parsing,
 * per-object idempotency in DynamoDB, failure records) around `processObject`, which reads one
 * processed unit from S3 and applies it to the warehouse in one transaction (apply.ts).
 *
 * DynamoDB idempotency only saves work here: the warehouse's load ledger is what makes a second
 * application a no-op (a crash between COMMIT and COMPLETED, a lost idempotency table, a redrive).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DatabasePool } from 'slonik';
import { s3Client } from '../../../shared/aws/clients.ts';
import { ENV, maxObjectBytes } from '../../../shared/config/env.ts';
import { resolveDatabaseUrl } from '../../../shared/db/credentials.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool, type PoolOptions } from '../../../shared/db/pool.ts';
import type { S3ObjectRef } from '../../../shared/s3-events/index.ts';
import {
  createSqsHandler,
  type ProcessContext,
  type SqsHandler,
} from '../../../shared/sqs-consumer/index.ts';
import { type ApplyResult, applyProcessedUnit, newestLoadedSourceUpdate } from './apply.ts';
import { type RetryOptions, withRetry } from './errors.ts';
import { fetchProcessedUnit, type ReadUnitOptions } from './read-unit.ts';

/** Metric names the load emits (namespace POWERTOOLS_METRICS_NAMESPACE, dimension stage=load). */
export const LOAD_METRICS = {
  unitsLoaded: 'UnitsLoaded',
  unitsAlreadyApplied: 'UnitsAlreadyApplied',
  unitsFailed: 'UnitsFailed',
  loadRetries: 'LoadRetries',
  loadDuration: 'LoadDuration',
  /** With dimension `table`. */
  rowsInserted: 'RowsInserted',
  rowsUpdated: 'RowsUpdated',
  /** Now minus the newest source last_updated the warehouse holds (the freshness alarm's input). */
  freshness: 'WarehouseFreshnessSeconds',
} as const;

/**
 * One container handles one batch at a time and the consumer runs at most 2 records at once, so 2
 * connections suffice; see README.md beside this file for pool size × maximum_concurrency.
 */
export const LOAD_POOL_OPTIONS: PoolOptions = {
  maximumPoolSize: 2,
  // Below the function timeout (120 s on AWS), so a stuck statement leaves time to retry or fail.
  statementTimeoutMs: 30_000,
  // Warm containers reuse connections between batches; an idle one is closed after a minute.
  idleTimeoutMs: 60_000,
  connectionTimeoutMs: 5_000,
  applicationName: 'totes-load',
};

/** Milliseconds kept back from the Lambda deadline: no new attempt starts inside this margin. */
const DEADLINE_MARGIN_MS = 5_000;

let containerPool: Promise<DatabasePool> | undefined;

/**
 * The warehouse pool of this container: created on first use (URL from WAREHOUSE_URL, else the
 * Secrets Manager secret WAREHOUSE_SECRET_ID), migrated once (idempotent, advisory-locked, so
 * concurrent cold starts serialise), then reused by every invocation. A failure is not cached.
 */
export function warehousePool(env: NodeJS.ProcessEnv = process.env): Promise<DatabasePool> {
  if (!containerPool) {
    const creating = (async () => {
      const url = await resolveDatabaseUrl(ENV.warehouseUrl, ENV.warehouseSecretId, env);
      const pool = await createDatabasePool(url, LOAD_POOL_OPTIONS);
      // Slonik also emits every query error on the pool; errors reach the caller anyway, and
      // without a listener Node would rethrow them as ERR_UNHANDLED_ERROR.
      pool.on('error', () => {});
      try {
        await migrateWarehouse(pool);
      } catch (error) {
        await pool.end().catch(() => {});
        throw error;
      }
      return pool;
    })();
    containerPool = creating;
    creating.catch(() => {
      if (containerPool === creating) containerPool = undefined;
    });
  }
  return containerPool;
}

/** Ends this container's pool (tests and the local runtime; a Lambda container never needs to). */
export async function closeWarehousePool(): Promise<void> {
  const current = containerPool;
  containerPool = undefined;
  if (current) await (await current.catch(() => undefined))?.end();
}

export interface LoadDependencies {
  readonly pool: () => Promise<DatabasePool>;
  readonly s3: () => S3Client;
  readonly retry?: RetryOptions;
  readonly read?: ReadUnitOptions;
  readonly chunkRows?: number;
  readonly now?: () => number;
  /** Test seam: runs after COMMIT, before the consumer marks the record COMPLETED (a throw = a crash there). */
  readonly afterCommit?: (result: ApplyResult) => void | Promise<void>;
}

/** The small result kept in the idempotency record. */
export interface LoadObjectResult {
  readonly [key: string]: string | number;
  readonly status: ApplyResult['status'];
  readonly unitId: string;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' (UTC wall clock) → epoch ms. */
function utcMillis(timestamp: string): number {
  return Date.parse(`${timestamp.replace(' ', 'T')}Z`);
}

function remainingMs(ctx: ProcessContext): number | undefined {
  const fn = ctx.lambdaContext?.getRemainingTimeInMillis;
  return typeof fn === 'function' ? fn.call(ctx.lambdaContext) : undefined;
}

function emitResultMetrics(metrics: Metrics, result: ApplyResult): void {
  if (result.status !== 'applied') return;
  for (const [table, counts] of Object.entries(result.rows)) {
    if (!counts || counts.received === 0) continue;
    const single = metrics.singleMetric();
    single.addDimension('table', table);
    single.addMetric(LOAD_METRICS.rowsInserted, MetricUnit.Count, counts.inserted);
    if (counts.updated > 0) single.addMetric(LOAD_METRICS.rowsUpdated, MetricUnit.Count, counts.updated);
  }
}

async function emitFreshness(
  pool: DatabasePool,
  metrics: Metrics,
  logger: Logger,
  now: () => number,
): Promise<void> {
  // After COMMIT: a failure here must not fail the record (the unit is in the warehouse).
  try {
    const newest = await newestLoadedSourceUpdate(pool);
    if (newest === null) return;
    const seconds = Math.max(0, (now() - utcMillis(newest)) / 1000);
    metrics.addMetric(LOAD_METRICS.freshness, MetricUnit.Seconds, seconds);
    logger.info('warehouse freshness', { newestSourceUpdate: newest, freshnessSeconds: seconds });
  } catch (error) {
    logger.warn('could not measure warehouse freshness', { error: error as Error });
  }
}

/** processObject for the shared consumer: one processed manifest → one warehouse transaction. */
export function createLoadProcessor(deps: LoadDependencies) {
  const now = deps.now ?? Date.now;
  return async (ref: S3ObjectRef, ctx: ProcessContext): Promise<LoadObjectResult> => {
    const started = performance.now();
    const { logger, metrics } = ctx;
    try {
      const fetched = await fetchProcessedUnit(deps.s3(), ref.bucket, ref.key, {
        maxObjectBytes: maxObjectBytes(),
        ...deps.read,
      });
      const unitId = fetched.manifest.unitId;
      const left = remainingMs(ctx);
      let pool: DatabasePool | undefined;
      const result = await withRetry(
        unitId,
        async () => {
          pool = await deps.pool();
          return applyProcessedUnit(
            pool,
            fetched.open(),
            deps.chunkRows ? { chunkRows: deps.chunkRows } : {},
          );
        },
        {
          ...(left !== undefined ? { deadline: now() + left - DEADLINE_MARGIN_MS } : {}),
          ...deps.retry,
          onRetry: (error, attempt, delayMs) => {
            metrics.addMetric(LOAD_METRICS.loadRetries, MetricUnit.Count, 1);
            logger.warn('transient warehouse error, retrying', {
              unitId,
              attempt,
              delayMs,
              error: error as Error,
            });
            deps.retry?.onRetry?.(error, attempt, delayMs);
          },
        },
      );
      await deps.afterCommit?.(result);
      const durationMs = performance.now() - started;
      metrics.addMetric(
        result.status === 'applied' ? LOAD_METRICS.unitsLoaded : LOAD_METRICS.unitsAlreadyApplied,
        MetricUnit.Count,
        1,
      );
      metrics.addMetric(LOAD_METRICS.loadDuration, MetricUnit.Milliseconds, durationMs);
      emitResultMetrics(metrics, result);
      const counts = result.status === 'applied' ? Object.values(result.rows) : [];
      const rowsInserted = counts.reduce((sum, c) => sum + (c?.inserted ?? 0), 0);
      const rowsUpdated = counts.reduce((sum, c) => sum + (c?.updated ?? 0), 0);
      logger.info(result.status === 'applied' ? 'unit loaded' : 'unit already applied (load ledger)', {
        unitId,
        durationMs: Math.round(durationMs),
        bytes: fetched.bytes,
        ...(result.status === 'applied'
          ? { rows: result.rows, newestSourceUpdate: result.newestSourceUpdate }
          : {}),
      });
      if (pool) await emitFreshness(pool, metrics, logger, now);
      return { status: result.status, unitId, rowsInserted, rowsUpdated };
    } catch (error) {
      metrics.addMetric(LOAD_METRICS.unitsFailed, MetricUnit.Count, 1);
      metrics.addMetric(LOAD_METRICS.loadDuration, MetricUnit.Milliseconds, performance.now() - started);
      throw error;
    }
  };
}

export interface LoadHandlerOptions {
  readonly deps?: Partial<LoadDependencies>;
  readonly env?: NodeJS.ProcessEnv;
  readonly dynamoDb?: DynamoDBClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** The load handler with its collaborators injectable (tests, the local runtime). */
export function createLoadHandler(options: LoadHandlerOptions = {}): SqsHandler {
  let s3: S3Client | undefined;
  const processObject = createLoadProcessor({
    pool: () => warehousePool(options.env),
    s3: () => {
      s3 ??= s3Client();
      return s3;
    },
    ...options.deps,
  });
  return createSqsHandler({
    stage: 'load',
    sourceBucketEnv: ENV.processedBucket,
    processObject,
    ...(options.env ? { env: options.env } : {}),
    ...(options.dynamoDb ? { dynamoDb: options.dynamoDb } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
}

export const handler: SqsHandler = createLoadHandler();
