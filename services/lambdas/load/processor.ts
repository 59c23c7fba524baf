/**
 * One processed manifest → one warehouse transaction (the consumer's `processObject`):
 * read the unit (read-unit.ts), apply it with retries of transient failures inside the Lambda's
 * deadline (apply.ts, errors.ts), then the metrics and, after COMMIT, the freshness and rows-held
 * metrics.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DatabasePool } from 'slonik';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../../shared/config/env.ts';
import { addMetric, LOAD_METRICS } from '../../../shared/metrics/index.ts';
import type { S3ObjectRef } from '../../../shared/s3-events/index.ts';
import type { ProcessContext } from '../../../shared/sqs-consumer/index.ts';
import { newestLoadedSourceUpdate } from '../../../shared/state/freshness.ts';
import { countHeldRows } from '../../../shared/state/quarantine.ts';
import { type ApplyResult, applyProcessedUnit } from './apply.ts';
import { type RetryOptions, withRetry } from './errors.ts';
import { fetchProcessedUnit, type ReadUnitOptions } from './read-unit.ts';

/** Milliseconds kept back from the Lambda deadline: no new attempt starts inside this margin. */
const DEADLINE_MARGIN_MS = 5_000;

export interface LoadDependencies {
  /**
   * The container's pool (warehouse-pool.ts): asked for as a record starts, so a cold one connects
   * while the unit downloads, and again for each attempt; every call must give the same pool.
   */
  readonly pool: () => Promise<DatabasePool>;
  readonly s3: () => S3Client;
  /** The largest object read whole (default DEFAULT_MAX_OBJECT_BYTES; the handler passes MAX_OBJECT_BYTES). */
  readonly maxObjectBytes?: number;
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
    addMetric(single, LOAD_METRICS.rowsInserted, counts.inserted);
    if (counts.updated > 0) addMetric(single, LOAD_METRICS.rowsUpdated, counts.updated);
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
    addMetric(metrics, LOAD_METRICS.freshness, seconds);
    logger.info('warehouse freshness', { newestSourceUpdate: newest, freshnessSeconds: seconds });
  } catch (error) {
    logger.warn('could not measure warehouse freshness', { error: error as Error });
  }
}

/** After COMMIT, like freshness: how many rows are held now (pipeline.quarantine). */
async function emitRowsHeld(pool: DatabasePool, metrics: Metrics, logger: Logger): Promise<void> {
  // The rows-held alarm watches this gauge: every commit says how many rows are held now.
  try {
    const held = await countHeldRows(pool);
    addMetric(metrics, LOAD_METRICS.rowsHeld, held);
    if (held > 0) logger.warn('rows held in the quarantine (totes quarantine)', { rowsHeld: held });
  } catch (error) {
    logger.warn('could not count held rows', { error: error as Error });
  }
}

/** processObject for the shared consumer: one processed manifest → one warehouse transaction. */
export function createLoadProcessor(deps: LoadDependencies) {
  const now = deps.now ?? Date.now;
  return async (ref: S3ObjectRef, ctx: ProcessContext): Promise<LoadObjectResult> => {
    const started = performance.now();
    const { logger, metrics } = ctx;
    try {
      // The pool (on a cold container: connecting and the migration check) is made ready while
      // the unit downloads; its failure, if any, is met and retried in withRetry below.
      Promise.resolve()
        .then(deps.pool)
        .catch(() => undefined);
      const fetched = await fetchProcessedUnit(deps.s3(), ref.bucket, ref.key, {
        maxObjectBytes: deps.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
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
            addMetric(metrics, LOAD_METRICS.loadRetries, 1);
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
      addMetric(
        metrics,
        result.status === 'applied' ? LOAD_METRICS.unitsLoaded : LOAD_METRICS.unitsAlreadyApplied,
        1,
      );
      addMetric(metrics, LOAD_METRICS.loadDuration, durationMs);
      emitResultMetrics(metrics, result);
      if (result.status === 'applied' && result.released > 0)
        addMetric(metrics, LOAD_METRICS.rowsReleased, result.released);
      const counts = result.status === 'applied' ? Object.values(result.rows) : [];
      const rowsInserted = counts.reduce((sum, c) => sum + (c?.inserted ?? 0), 0);
      const rowsUpdated = counts.reduce((sum, c) => sum + (c?.updated ?? 0), 0);
      logger.info(result.status === 'applied' ? 'unit loaded' : 'unit already applied (load ledger)', {
        unitId,
        // 1 for the extract's own unit; a replay's generation replaces the earlier one's rows.
        generation: fetched.manifest.generation ?? 1,
        durationMs: Math.round(durationMs),
        bytes: fetched.bytes,
        ...(result.status === 'applied'
          ? {
              rows: result.rows,
              newestSourceUpdate: result.newestSourceUpdate,
              held: result.held,
              released: result.released,
            }
          : {}),
      });
      if (pool) {
        await emitFreshness(pool, metrics, logger, now);
        await emitRowsHeld(pool, metrics, logger);
      }
      return { status: result.status, unitId, rowsInserted, rowsUpdated };
    } catch (error) {
      addMetric(metrics, LOAD_METRICS.unitsFailed, 1);
      addMetric(metrics, LOAD_METRICS.loadDuration, performance.now() - started);
      throw error;
    }
  };
}
