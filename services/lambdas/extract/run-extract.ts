/**
 * One extract run, testable without AWS (the clients are injected):
 *
 *  1. read the source (before the snapshot): its clock, the transactions in progress, and what the
 *     extract cannot observe (logged with the fix, metric SourceUnobservable);
 *  2. take the run lease (DynamoDB conditional put) or return "skipped: lease held";
 *  3. read the watermarks and the horizon checkpoints; wait briefly for the transactions in
 *     progress at the reading to end; the commit horizon (horizon.ts, window.ts explain why);
 *  4. in ONE repeatable-read, read-only snapshot: stream each table's rows with
 *     last_updated >= watermark, drop versions already delivered (the tail), write them in parts of
 *     at most `partSize` rows, then add join partners (join-partners.ts) and write the manifest LAST;
 *  5. advance the watermarks (conditional writes), keep the unsettled checkpoints, write the run
 *     record and the heartbeat;
 *  6. release the lease (also on failure; a crashed run's lease expires).
 *
 * A run with no changed row writes no unit at all. Any failure throws (the Lambda's Errors metric
 * moves), after which the watermarks are untouched: the next run reads the same rows again.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DatabasePool } from 'slonik';
import {
  type IngestionManifest,
  newRunId,
  type SourceValue,
  type WriteWindowLimits,
} from '../../../shared/lake/index.ts';
import { addMetric, EXTRACT_METRICS } from '../../../shared/metrics/index.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import {
  acquireLease,
  emptyWatermark,
  type LeaseHolder,
  readWatermarks,
  recordHeartbeat,
  recordRun,
  releaseLease,
  saveWatermark,
  type WatermarkRecord,
} from '../../../shared/state/index.ts';
import {
  checkpointOf,
  DEFAULT_MAX_PENDING_CHECKPOINTS,
  type HorizonCheckpoint,
  isSettled,
  settleCheckpoints,
  type TransactionsInProgress,
} from './horizon.ts';
import { readCheckpoints, saveCheckpoints } from './horizon-store.ts';
import { primaryKeyIndex } from './join-partners.ts';
import { pagingCauses, type SourceFinding, sourceFindings } from './source-observability.ts';
import {
  readSource,
  readTransactionsInProgress,
  type SnapshotReader,
  type SourceReading,
  withSnapshot,
} from './source-reader.ts';
import { asSourceSchemaError, checkSourceSchema } from './source-schema.ts';
import { UnitSequence, type WrittenUnit } from './unit-sequence.ts';
import {
  commitHorizon,
  floorToMs,
  latest,
  nextTablePosition,
  nextWatermark,
  type TableReadEnd,
  timestampToMs,
  versionKey,
} from './window.ts';

export interface ExtractDeps {
  readonly pool: DatabasePool;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly stateTable: string;
  readonly logger?: Logger;
  /** EMF metrics; the caller publishes them (the handler does, in a finally). */
  readonly metrics?: Metrics;
  /** Random suffix of the run id (tests make it deterministic). */
  readonly random?: () => string;
}

export interface ExtractOptions {
  /**
   * How far behind the database's now() the watermark stays even when no transaction is open:
   * covers writers that stamp last_updated from a clock other than their own transaction's
   * database clock. Rows are NOT delayed by it (every visible row is read), it only widens the
   * re-read window. Default 120,000 ms.
   */
  readonly safetyMarginMs?: number;
  /**
   * How long a run waits, before its snapshot, for the transactions in progress at its reading to
   * end (polling pg_locks), so that its own reading bounds the watermark. A transaction still open
   * then holds the watermark back (never the data) until a later run sees it ended. Default 1,000 ms.
   */
  readonly horizonWaitMs?: number;
  /** Most horizon checkpoints kept while transactions stay open. Default 24. */
  readonly maxPendingCheckpoints?: number;
  /** Rows per table object part. Default 20,000. */
  readonly partSize?: number;
  /**
   * Changed rows per unit (plus their join partners): a larger change set is cut into several
   * units, each loaded and transformed alone, so no stage's memory grows with the source.
   * Default 500,000 (env EXTRACT_UNIT_ROWS).
   */
  readonly maxUnitRows?: number;
  /**
   * Rows one run reads from the source (a run's budget, so it finishes far inside the Lambda's
   * timeout): a larger backlog stops there and the next run goes on from where it stopped
   * (window.ts nextTablePosition). Default 5,000,000 (env EXTRACT_RUN_ROWS).
   */
  readonly maxRunRows?: number;
  /** Lease duration; the handler passes the Lambda's remaining time plus a margin. Default 15 min. */
  readonly leaseMs?: number;
  /** Most versions remembered per table to avoid re-emitting them. Default 5,000. */
  readonly maxTail?: number;
  readonly multipartThresholdBytes?: number;
  /** Table-object PUTs in flight at once (default 4 objects, 16 MiB: shared/lake/write-window.ts). */
  readonly writeWindow?: WriteWindowLimits;
  /**
   * Test seam: called after each table object is handed to the write window, before the run reads
   * on (a throw simulates a crash; the PUTs already started land, no manifest is written).
   */
  readonly afterObjectWritten?: (key: string) => void | Promise<void>;
}

export const DEFAULT_SAFETY_MARGIN_MS = 120_000;
export const DEFAULT_PART_SIZE = 20_000;
export const DEFAULT_MAX_UNIT_ROWS = 500_000;
export const DEFAULT_MAX_RUN_ROWS = 5_000_000;
export const DEFAULT_LEASE_MS = 15 * 60_000;
export const DEFAULT_MAX_TAIL = 5_000;
export const DEFAULT_HORIZON_WAIT_MS = 1_000;
/** Between two looks at the transactions in progress while waiting for them to end. */
const HORIZON_POLL_MS = 20;

export type ExtractResult =
  | {
      readonly status: 'skipped';
      readonly runId: string;
      readonly reason: 'lease held';
      readonly holder: LeaseHolder | null;
    }
  | {
      readonly status: 'unchanged';
      readonly runId: string;
      readonly extractedAt: string;
      readonly changedRows: 0;
      readonly rows: 0;
    }
  | {
      readonly status: 'extracted';
      readonly runId: string;
      readonly extractedAt: string;
      /** The first unit's manifest (a run writes several units when its changed rows exceed maxUnitRows). */
      readonly manifestKey: string;
      readonly manifest: IngestionManifest;
      /** Every unit the run wrote, in order (unit-sequence.ts). */
      readonly units: readonly ExtractedUnit[];
      /** True when the run's row budget stopped it: the next run goes on from there. */
      readonly backlog: boolean;
      /** Changed rows in the units. */
      readonly changedRows: number;
      /** All rows in the unit (changed plus join partners). */
      readonly rows: number;
      readonly rowsByTable: Readonly<Partial<Record<SourceTableName, number>>>;
    };

export interface ExtractedUnit {
  readonly runId: string;
  readonly manifestKey: string;
  readonly changedRows: number;
  readonly rows: number;
}

interface TableProgress {
  readonly previous: WatermarkRecord;
  /** Null only before the first run while transactions from before it are still open. */
  readonly watermark: string | null;
  changed: number;
  partners: number;
  newest: string | null;
  /** Versions emitted this run at or after the new watermark (the next run reads them again). */
  readonly emittedTail: string[];
  /** How far the run read the table (its row budget may stop it: window.ts nextTablePosition). */
  end: TableReadEnd;
}

const defaultRandom = () => randomBytes(4).toString('hex');

export async function runExtract(deps: ExtractDeps, options: ExtractOptions = {}): Promise<ExtractResult> {
  const started = Date.now(); // duration metric only; never used for data windows
  const safetyMarginMs = options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  const maxTail = options.maxTail ?? DEFAULT_MAX_TAIL;
  const { logger, metrics } = deps;

  // (1) The source, read BEFORE the snapshot. Unreachable source ⇒ throws here.
  const clock = await readSource(deps.pool);
  const runId = newRunId(floorToMs(clock.now), (deps.random ?? defaultRandom)());
  logger?.appendKeys({ runId });
  const findings = sourceFindings(clock);
  const unobservable = pagingCauses(findings);

  // (2) The lease, on the database clock.
  const lease = await acquireLease(deps.dynamo, deps.stateTable, {
    owner: runId,
    nowMs: timestampToMs(clock.now),
    durationMs: options.leaseMs ?? DEFAULT_LEASE_MS,
  });
  if (!lease.acquired) {
    logger?.info('skipped: lease held', { holder: lease.holder });
    if (metrics) addMetric(metrics, EXTRACT_METRICS.runsSkipped, 1);
    return { status: 'skipped', runId, reason: 'lease held', holder: lease.holder };
  }

  try {
    reportFindings(findings, clock, deps);
    // Schema drift (source-schema.ts): incompatible drift throws here, before anything is written.
    // (3) Watermarks and checkpoints, read under the lease; then the commit horizon.
    // The three are independent reads: side by side, one round trip on every run's latency
    // instead of three.
    const [, marks, stored] = await Promise.all([
      checkSourceSchema(deps, { runId, at: floorToMs(clock.now) }),
      readWatermarks(deps.dynamo, deps.stateTable),
      readCheckpoints(deps.dynamo, deps.stateTable),
    ]);
    const own = checkpointOf(clock.now, clock);
    const current = await awaitTransactions(deps.pool, own, clock, options.horizonWaitMs);
    const { settled, pending } = settleCheckpoints(
      [...stored, own],
      current,
      options.maxPendingCheckpoints ?? DEFAULT_MAX_PENDING_CHECKPOINTS,
    );
    const { horizon, limitedBy } = commitHorizon(
      { now: clock.now, oldestOpenTransaction: clock.oldestOpenTransaction, settled },
      safetyMarginMs,
    );
    if (limitedBy === 'running-transactions') {
      logger?.info('watermark held back by transactions in progress at an earlier reading', {
        horizon,
        heldSince: pending[0]?.at ?? null,
        transactions: pending[0]?.transactions.length ?? 0,
        preparedTransactions: current.preparedTransactions,
      });
    }
    const progress = new Map<SourceTableName, TableProgress>();
    for (const table of SOURCE_TABLE_NAMES) {
      const previous = marks.get(table) ?? emptyWatermark(table);
      progress.set(table, {
        previous,
        watermark: nextWatermark(previous.watermark, horizon),
        changed: 0,
        partners: 0,
        newest: previous.newest,
        emittedTail: [],
        end: { kind: 'unread' },
      });
    }

    // (4) One snapshot, one unit.
    const snapshot = await withSnapshot(deps.pool, (reader) =>
      extractSnapshot(reader, deps, options, runId, progress, partSize),
    ).catch(async (error: unknown) => {
      throw await asSourceSchemaError(error, deps.pool);
    });

    // (5) Only now, with every manifest durable, may the watermarks move.
    for (const [table, p] of progress) {
      const previous = {
        watermark: p.previous.watermark,
        tail: p.previous.tail,
        after: p.previous.after ?? null,
      };
      const next = nextTablePosition(previous, horizon, p.emittedTail, p.end, maxTail);
      // Before the first settled reading there is no safe watermark: the next run reads all again.
      if (next === null) continue;
      if (next.tail === null) {
        logger?.warn('too many versions at the watermark to remember; the next run re-emits them', { table });
      }
      const unchanged =
        previous.watermark === next.watermark &&
        previous.after === next.after &&
        p.previous.newest === p.newest &&
        sameList(previous.tail, next.tail);
      if (unchanged || next.watermark === null) continue;
      await saveWatermark(
        deps.dynamo,
        deps.stateTable,
        p.previous,
        { table, watermark: next.watermark, tail: next.tail, after: next.after, newest: p.newest },
        runId,
        snapshot.extractedAt,
      );
    }
    await saveCheckpoints(deps.dynamo, deps.stateTable, pending, runId, snapshot.extractedAt);

    const changedRows = sum([...progress.values()].map((p) => p.changed));
    const rows = changedRows + sum([...progress.values()].map((p) => p.partners));
    const rowsByTable: Partial<Record<SourceTableName, number>> = {};
    for (const [table, p] of progress)
      if (p.changed + p.partners > 0) rowsByTable[table] = p.changed + p.partners;
    const first = snapshot.units[0];
    const status = first ? 'extracted' : 'unchanged';
    const durationMs = Date.now() - started;

    await recordRun(
      deps.dynamo,
      deps.stateTable,
      {
        runId,
        status,
        extractedAt: snapshot.extractedAt,
        durationMs,
        changedRows,
        rows,
        rowsByTable,
        unobservable,
        ...(first ? { manifestKey: first.key } : {}),
        ...(snapshot.units.length > 1 ? { manifestKeys: snapshot.units.map((u) => u.key) } : {}),
        ...(snapshot.backlog ? { backlog: true } : {}),
      },
      timestampToMs(snapshot.extractedAt),
    );
    await recordHeartbeat(deps.dynamo, deps.stateTable, {
      runId,
      at: snapshot.extractedAt,
      rows,
      changedRows,
      status,
    });

    const newest = [...progress.values()].reduce<string | null>((acc, p) => latest(acc, p.newest), null);
    const sourceLagSeconds =
      newest === null ? null : (timestampToMs(snapshot.extractedAt) - timestampToMs(newest)) / 1000;
    if (metrics) {
      addMetric(metrics, EXTRACT_METRICS.runsSucceeded, 1);
      addMetric(metrics, EXTRACT_METRICS.runDuration, durationMs);
      addMetric(metrics, EXTRACT_METRICS.changedRows, changedRows);
      addMetric(metrics, EXTRACT_METRICS.unitRows, rows);
      if (sourceLagSeconds !== null) addMetric(metrics, EXTRACT_METRICS.sourceLag, sourceLagSeconds);
      if (horizon !== null) {
        const lag = (timestampToMs(floorToMs(clock.now)) - timestampToMs(horizon)) / 1000;
        addMetric(metrics, EXTRACT_METRICS.horizonLag, lag);
      }
      for (const [table, p] of progress) {
        const single = metrics.singleMetric();
        single.addDimension('table', table);
        addMetric(single, EXTRACT_METRICS.rowsExtracted, p.changed + p.partners);
      }
    }
    logger?.info(status === 'extracted' ? 'units written' : 'no change: no unit, heartbeat only', {
      status,
      changedRows,
      rows,
      rowsByTable,
      durationMs,
      sourceLagSeconds,
      horizon,
      horizonLimitedBy: limitedBy,
      manifestKey: first?.key,
      units: snapshot.units.length,
      // The row budget stopped the run: the next run goes on where this one stopped.
      backlog: snapshot.backlog,
    });

    if (!first) {
      return { status: 'unchanged', runId, extractedAt: snapshot.extractedAt, changedRows: 0, rows: 0 };
    }
    return {
      status: 'extracted',
      runId,
      extractedAt: snapshot.extractedAt,
      manifestKey: first.key,
      manifest: first.manifest,
      units: snapshot.units.map(({ runId: unitId, key, changedRows: changed, rows: unitRows }) => ({
        runId: unitId,
        manifestKey: key,
        changedRows: changed,
        rows: unitRows,
      })),
      backlog: snapshot.backlog,
      changedRows,
      rows,
      rowsByTable,
    };
  } catch (error) {
    if (metrics) addMetric(metrics, EXTRACT_METRICS.runsFailed, 1);
    logger?.error('extract run failed; watermarks untouched', error as Error);
    // For `status`; best effort (DynamoDB may be what failed). No heartbeat: the run did not succeed.
    await recordRun(
      deps.dynamo,
      deps.stateTable,
      {
        runId,
        status: 'failed',
        extractedAt: floorToMs(clock.now),
        durationMs: Date.now() - started,
        changedRows: 0,
        rows: 0,
        unobservable,
        error: `${(error as Error).name}: ${(error as Error).message}`.slice(0, 1_000),
      },
      timestampToMs(clock.now),
    ).catch((recordError: unknown) =>
      logger?.warn('could not record the failed run', { error: String(recordError) }),
    );
    throw error;
  } finally {
    try {
      await releaseLease(deps.dynamo, deps.stateTable, runId);
    } catch (releaseError) {
      // The lease then expires by itself; the run's own outcome stands.
      logger?.warn('could not release the run lease', { error: String(releaseError) });
    }
  }
}

async function extractSnapshot(
  reader: SnapshotReader,
  deps: ExtractDeps,
  options: ExtractOptions,
  runId: string,
  progress: Map<SourceTableName, TableProgress>,
  partSize: number,
): Promise<{ extractedAt: string; units: WrittenUnit[]; backlog: boolean }> {
  const units = new UnitSequence(deps.s3, deps.bucket, runId, reader, {
    partSize,
    maxUnitRows: options.maxUnitRows ?? DEFAULT_MAX_UNIT_ROWS,
    multipartThresholdBytes: options.multipartThresholdBytes,
    writeWindow: options.writeWindow,
    afterObjectWritten: options.afterObjectWritten,
  });
  try {
    return await readIntoUnits(reader, options, progress, partSize, units);
  } catch (error) {
    // A failed run leaves no PUT running behind it (the lease is released after this returns).
    await units.settle();
    throw error;
  }
}

async function readIntoUnits(
  reader: SnapshotReader,
  options: ExtractOptions,
  progress: Map<SourceTableName, TableProgress>,
  partSize: number,
  units: UnitSequence,
): Promise<{ extractedAt: string; units: WrittenUnit[]; backlog: boolean }> {
  // The run's row budget: rows read from the source's cursors (changed rows, before the tail).
  let remaining = options.maxRunRows ?? DEFAULT_MAX_RUN_ROWS;
  if (!Number.isSafeInteger(remaining) || remaining < 1) {
    throw new RangeError(`maxRunRows must be a positive integer, got ${remaining}`);
  }

  // Changed rows, table by table, streamed in pages, cut into units.
  for (const table of SOURCE_TABLE_NAMES) {
    const p = progress.get(table)!;
    if (remaining === 0) {
      p.end = { kind: 'unread' };
      continue;
    }
    units.windowFrom.set(table, p.previous.watermark);
    const pk = primaryKeyIndex(table);
    const lu = SOURCE_TABLES[table].columns.findIndex((c) => c.name === 'last_updated');
    const delivered = p.previous.tail === null ? null : new Set(p.previous.tail);
    const limit = remaining;
    let read = 0;
    let last: { lastUpdated: string; id: number } | null = null;
    const pages = reader.changedRows(table, p.previous.watermark, partSize, {
      after: p.previous.after ?? null,
      limit,
    });
    for await (const page of pages) {
      const changed: SourceValue[][] = [];
      for (const row of page) {
        read++;
        const lastUpdated = row[lu] as string;
        last = { lastUpdated, id: row[pk] as number };
        p.newest = latest(p.newest, lastUpdated);
        const key = versionKey(last.id, lastUpdated);
        if (delivered?.has(key)) continue; // this exact version is already in an earlier unit
        if (p.watermark !== null && lastUpdated >= p.watermark) p.emittedTail.push(key);
        p.changed++;
        changed.push(row);
      }
      await units.addChanged(table, changed);
    }
    await units.endTable();
    remaining -= read;
    p.end = remaining === 0 && last ? { kind: 'stopped', ...last } : { kind: 'complete' };
  }
  await units.close();
  for (const [table, count] of units.partners) progress.get(table)!.partners += count;
  const backlog = [...progress.values()].some((p) => p.end.kind !== 'complete');
  return { extractedAt: reader.now, units: units.units, backlog };
}

/**
 * Logs each finding as one line (error for the causes that page, warn otherwise) and emits
 * SourceUnobservable: the count of paging causes under dimension `service` (the alarm's metric,
 * 0 when all is well so the alarm has data), 1 per cause under `service` + `cause`, and
 * SourceSessionsHidden (sessions whose state the role cannot see; no page).
 */
function reportFindings(findings: readonly SourceFinding[], reading: SourceReading, deps: ExtractDeps): void {
  for (const finding of findings) {
    const extra = { cause: finding.cause };
    if (finding.pages) deps.logger?.error(finding.message, extra);
    else deps.logger?.warn(finding.message, extra);
  }
  const { metrics } = deps;
  if (!metrics) return;
  const causes = pagingCauses(findings);
  addMetric(metrics, EXTRACT_METRICS.sourceUnobservable, causes.length);
  for (const cause of causes) {
    const single = metrics.singleMetric();
    single.addDimension('cause', cause);
    addMetric(single, EXTRACT_METRICS.sourceUnobservable, 1);
  }
  addMetric(
    metrics,
    EXTRACT_METRICS.sourceSessionsHidden,
    reading.seesAllSessions ? 0 : reading.hiddenSessions,
  );
}

/**
 * Looks again at the transactions in progress until those of the run's own reading have ended (or
 * `waitMs` passed): the last look is the one every checkpoint is settled against, and it precedes
 * the snapshot, so a settled checkpoint's transactions are committed in it (or rolled back).
 */
async function awaitTransactions(
  pool: ExtractDeps['pool'],
  own: HorizonCheckpoint,
  reading: TransactionsInProgress,
  waitMs = DEFAULT_HORIZON_WAIT_MS,
): Promise<TransactionsInProgress> {
  let current = reading;
  const deadline = Date.now() + waitMs;
  while (!isSettled(own, current) && Date.now() < deadline) {
    await sleep(HORIZON_POLL_MS);
    current = await readTransactionsInProgress(pool);
  }
  return current;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
