import type { S3Client } from '@aws-sdk/client-s3';
import type { DatabasePool } from 'slonik';
import type { WarehouseTable } from '../../../../shared/schema/warehouse.ts';
import { type ApplyResult, applyProcessedUnit, type TableCounts } from '../../../lambdas/load/apply.ts';
import { classifyError, type RetryOptions, withRetry } from '../../../lambdas/load/errors.ts';
import { fetchProcessedUnit, type ReadUnitOptions } from '../../../lambdas/load/read-unit.ts';
import { listProcessedManifests } from './lake.ts';

/**
 * The rebuild's core: every processed manifest of the lake, in key order, through the load's own
 * code (read-unit.ts, apply.ts, and errors.ts's retry of transient failures), one unit at a time.
 * The warehouse's load ledger makes each application exactly-once, so a rebuild that stops for any
 * reason is finished by running it again: the units already applied come back 'already-applied'.
 * Every manifest is applied, whatever it is (a part of a split unit, a later generation of a
 * replayed unit): the ledger decides, as it does for the live load.
 */

export interface RebuildDependencies {
  readonly s3: S3Client;
  /** The processed bucket. */
  readonly bucket: string;
  /** The target warehouse, already migrated. */
  readonly pool: DatabasePool;
  readonly retry?: RetryOptions;
  readonly read?: ReadUnitOptions;
  readonly chunkRows?: number;
  /** Listing page size (ListObjectsV2 MaxKeys; S3's default 1,000). */
  readonly pageSize?: number;
  /** Stops the rebuild between two units (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** After each manifest (applied, already applied or failed). */
  readonly onUnit?: (event: UnitEvent) => void;
  /** Test seam, as in the load: runs after COMMIT of each unit (fault injection: a kill here). */
  readonly afterCommit?: (result: ApplyResult) => void | Promise<void>;
}

export interface UnitEvent {
  readonly key: string;
  readonly status: ApplyResult['status'] | 'failed';
  /** Manifests handled so far, this one included. */
  readonly done: number;
}

export interface UnitFailure {
  readonly key: string;
  readonly message: string;
}

export interface RebuildSummary {
  readonly bucket: string;
  readonly units: {
    readonly listed: number;
    readonly applied: number;
    readonly alreadyApplied: number;
    readonly failed: number;
  };
  /** Per table, summed over the units applied by this run. */
  readonly rows: Partial<Record<WarehouseTable, TableCounts>>;
  readonly failures: readonly UnitFailure[];
  /** Stopped by the signal before the end of the listing. */
  readonly interrupted: boolean;
  readonly seconds: number;
}

/** Failures kept in the summary (the rest are counted). */
const FAILURES_KEPT = 20;

function addCounts(
  total: Partial<Record<WarehouseTable, TableCounts>>,
  rows: Readonly<Partial<Record<WarehouseTable, TableCounts>>>,
): void {
  for (const [table, counts] of Object.entries(rows) as [WarehouseTable, TableCounts | undefined][]) {
    if (!counts) continue;
    const before = total[table] ?? { received: 0, inserted: 0, updated: 0 };
    total[table] = {
      received: before.received + counts.received,
      inserted: before.inserted + counts.inserted,
      updated: before.updated + counts.updated,
    };
  }
}

/**
 * One manifest: read (bytes fetched once), then applied with the load's retries; each attempt
 * re-opens the unit so every row is staged again.
 */
async function applyOne(deps: RebuildDependencies, key: string): Promise<ApplyResult> {
  const fetched = await fetchProcessedUnit(deps.s3, deps.bucket, key, deps.read ?? {});
  const result = await withRetry(
    fetched.manifest.unitId,
    () => applyProcessedUnit(deps.pool, fetched.open(), deps.chunkRows ? { chunkRows: deps.chunkRows } : {}),
    deps.retry ?? {},
  );
  await deps.afterCommit?.(result);
  return result;
}

/**
 * Applies every processed manifest of the bucket. A unit that fails permanently (a bad or
 * incomplete unit, a value the warehouse refuses) is recorded and the rebuild goes on: units are
 * order-free, and the summary names it. A transient failure that outlived its retries (the
 * warehouse went away) ends the rebuild with that error: running it again resumes.
 */
export async function rebuildWarehouse(deps: RebuildDependencies): Promise<RebuildSummary> {
  const started = performance.now();
  const rows: Partial<Record<WarehouseTable, TableCounts>> = {};
  const failures: UnitFailure[] = [];
  let listed = 0;
  let applied = 0;
  let alreadyApplied = 0;
  let failed = 0;
  let interrupted = false;
  for await (const key of listProcessedManifests(
    deps.s3,
    deps.bucket,
    deps.pageSize ? { pageSize: deps.pageSize } : {},
  )) {
    if (deps.signal?.aborted) {
      interrupted = true;
      break;
    }
    listed++;
    let status: UnitEvent['status'];
    try {
      const result = await applyOne(deps, key);
      status = result.status;
      if (result.status === 'applied') {
        applied++;
        addCounts(rows, result.rows);
      } else {
        alreadyApplied++;
      }
    } catch (error) {
      if (classifyError(error) !== 'permanent') throw error;
      failed++;
      status = 'failed';
      if (failures.length < FAILURES_KEPT) failures.push({ key, message: (error as Error).message });
    }
    deps.onUnit?.({ key, status, done: listed });
  }
  return {
    bucket: deps.bucket,
    units: { listed, applied, alreadyApplied, failed },
    rows,
    failures,
    interrupted,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}
