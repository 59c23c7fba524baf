import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Stage } from '../../../shared/config/resources.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import {
  type IngestionManifest,
  isManifestKey,
  type ProcessedManifest,
  unitPrefix,
} from '../../../shared/lake/index.ts';
import { rowsLoadedByRun } from '../../../shared/state/freshness.ts';
import type { LocalStack, StageCounters } from './stack.ts';

export interface RunSummary {
  readonly runId: string | null;
  /** What the extract did: extracted, unchanged (no unit), skipped (lease held) or failed. */
  readonly status: 'extracted' | 'unchanged' | 'skipped' | 'failed';
  readonly extractError?: string;
  /** Source table → rows in the unit (changed rows and join partners). */
  readonly extracted: Record<string, number>;
  /** Source table → changed rows in the unit. */
  readonly changed: Record<string, number>;
  /** Warehouse table → rows the transform wrote for this run. */
  readonly transformed: Record<string, number>;
  /** Warehouse table → rows inserted or updated by the loads of this run. */
  readonly loaded: Record<string, number>;
  /** Failed record attempts (transform and load) plus a failed extract. */
  readonly failed: number;
  /** DLQ name → messages resting in it. */
  readonly dlq: Record<string, number>;
  readonly seconds: {
    /** Busy seconds of each stage (invocations summed). */
    readonly extract: number;
    readonly transform: number;
    readonly load: number;
    /**
     * Extract fired → the end of the run's last invocation (the extract, or a transform or load
     * batch with its messages deleted), once the pipeline is drained: the drain's own polling
     * (two quiet checks 20 ms apart) and the summary's reads afterwards are not counted.
     */
    readonly total: number;
  };
}

const snapshot = (c: StageCounters): StageCounters => ({ ...c });

/**
 * One extract cycle through the whole local pipeline: fire the extract, wait until every queue is
 * drained and nothing is in flight, then summarise what each stage did for this run's unit.
 */
export async function runOnce(
  stack: LocalStack,
  options: { drainTimeoutMs?: number } = {},
): Promise<RunSummary> {
  const started = Date.now();
  const before = Object.fromEntries(
    (['extract', 'transform', 'load'] as const).map((s) => [s, snapshot(stack.counters[s])]),
  ) as Record<Stage, StageCounters>;
  stack.startConsumers();
  const outcome = await stack.schedule.fire();
  const extractEndedAt = Date.now();
  await stack.waitUntilDrained(options.drainTimeoutMs);
  // The pipeline's time ends with its last invocation: what follows only reads back what it did.
  const endedAt = Math.max(
    extractEndedAt,
    ...[stack.mappings.transform, stack.mappings.load].map((m) => m.lastBatchEndedAt ?? 0),
  );

  const delta = (stage: Stage, key: 'recordsFailed' | 'busyMs' | 'invocationErrors') =>
    stack.counters[stage][key] - before[stage][key];
  const result = outcome.ok ? (outcome.result as ExtractOutcome) : undefined;
  const runId = result?.runId ?? null;
  const status: RunSummary['status'] = outcome.ok ? (result?.status ?? 'unchanged') : 'failed';
  const extracted = status === 'extracted' ? { ...(result?.rowsByTable ?? {}) } : {};
  const changed = status === 'extracted' ? await changedRows(stack, result) : {};
  // A large change set is cut into several units (their own run ids): the summary covers them all.
  const unitIds =
    status === 'extracted' ? (result?.units?.map((u) => u.runId) ?? (runId ? [runId] : [])) : [];
  const transformed = unitIds.length > 0 ? await transformedRows(stack, unitIds) : {};
  const loaded = unitIds.length > 0 ? await loadedRows(stack.warehouseUrl, unitIds) : {};
  return {
    runId,
    status,
    ...(outcome.ok ? {} : { extractError: describe(outcome.error) }),
    extracted,
    changed,
    transformed,
    loaded,
    failed: delta('transform', 'recordsFailed') + delta('load', 'recordsFailed') + (outcome.ok ? 0 : 1),
    dlq: await dlqDepths(stack),
    seconds: {
      extract: round(outcome.durationMs / 1000),
      transform: round(delta('transform', 'busyMs') / 1000),
      load: round(delta('load', 'busyMs') / 1000),
      total: round((endedAt - started) / 1000),
    },
  };
}

interface ExtractOutcome {
  readonly status: 'extracted' | 'unchanged' | 'skipped';
  readonly runId: string;
  readonly rowsByTable?: Record<string, number>;
  readonly manifest?: { readonly changedRows: Record<string, number> };
  readonly units?: readonly { readonly runId: string; readonly changedRows: number }[];
}

const round = (n: number) => Math.round(n * 100) / 100;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Rows per warehouse table written to Parquet by the manifests of one run. Each object counts once:
 * the parts of a split unit all list the shared dimension objects (so each part loads alone), and
 * counting them per part would multiply the dimensions by the number of parts.
 */
export function rowsWritten(
  manifests: readonly Pick<ProcessedManifest, 'objects'>[],
): Record<string, number> {
  const rows: Record<string, number> = {};
  const seen = new Set<string>();
  for (const manifest of manifests) {
    for (const object of manifest.objects) {
      if (seen.has(object.key)) continue;
      seen.add(object.key);
      rows[object.table] = (rows[object.table] ?? 0) + object.rows;
    }
  }
  return rows;
}

/** Changed rows per source table over every unit of the run (each ingestion manifest counts its own). */
async function changedRows(
  stack: LocalStack,
  result: ExtractOutcome | undefined,
): Promise<Record<string, number>> {
  const units = result?.units ?? [];
  if (units.length <= 1) return { ...(result?.manifest?.changedRows ?? {}) };
  const manifests = await readManifests<IngestionManifest>(
    stack,
    stack.resources.buckets.ingestion,
    units.map((u) => u.runId),
  );
  const rows: Record<string, number> = {};
  for (const manifest of manifests) {
    for (const [table, n] of Object.entries(manifest.changedRows)) rows[table] = (rows[table] ?? 0) + n;
  }
  return rows;
}

async function transformedRows(
  stack: LocalStack,
  runIds: readonly string[],
): Promise<Record<string, number>> {
  return rowsWritten(await readManifests(stack, stack.resources.buckets.processed, runIds));
}

/** Every manifest under the units' prefixes in `bucket`. */
async function readManifests<T = ProcessedManifest>(
  stack: LocalStack,
  bucket: string,
  runIds: readonly string[],
): Promise<T[]> {
  const s3 = new S3Client({
    region: stack.aws.region,
    endpoint: stack.aws.endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const manifests: T[] = [];
  try {
    for (const runId of runIds) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: unitPrefix(runId), ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key || !isManifestKey(object.Key)) continue;
          const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
          manifests.push(JSON.parse(await body.Body!.transformToString()) as T);
        }
        token = page.NextContinuationToken;
      } while (token);
    }
  } finally {
    s3.destroy();
  }
  return manifests;
}

async function loadedRows(warehouseUrl: string, runIds: readonly string[]): Promise<Record<string, number>> {
  const pool = await createDatabasePool(warehouseUrl, { applicationName: 'totes-summary' });
  try {
    const rows: Record<string, number> = {};
    for (const runId of runIds) {
      for (const [table, n] of Object.entries(await rowsLoadedByRun(pool, runId)))
        rows[table] = (rows[table] ?? 0) + n;
    }
    return rows;
  } finally {
    await pool.end();
  }
}

/** Messages resting in each DLQ (visible, in flight or delayed). */
export async function dlqDepths(stack: LocalStack): Promise<Record<string, number>> {
  const depths: Record<string, number> = {};
  for (const queue of Object.values(stack.resources.queues)) {
    depths[queue.dlqName] = await stack.queueDepth(queue.dlqName);
  }
  return depths;
}

/** The human-readable summary `totes run --once` prints. */
export function renderSummary(summary: RunSummary): string {
  const lines: string[] = [];
  lines.push(
    summary.runId
      ? `run ${summary.runId}: ${summary.status}${summary.extractError ? ` (${summary.extractError})` : ''}`
      : `extract ${summary.status}${summary.extractError ? `: ${summary.extractError}` : ''}`,
  );
  const table = (title: string, rows: Record<string, number>) => {
    const entries = Object.entries(rows).filter(([, n]) => n > 0);
    if (entries.length === 0) return;
    lines.push(`${title}:`);
    const width = Math.max(...entries.map(([name]) => name.length));
    for (const [name, n] of entries.sort())
      lines.push(`  ${name.padEnd(width)}  ${n.toLocaleString('en-GB')}`);
  };
  table('extracted (rows in the unit)', summary.extracted);
  table('transformed (rows written to Parquet)', summary.transformed);
  table('loaded (rows inserted or updated)', summary.loaded);
  lines.push(`failed record attempts: ${summary.failed}`);
  lines.push(
    `DLQ depths: ${Object.entries(summary.dlq)
      .map(([q, n]) => `${q} ${n}`)
      .join(', ')}`,
  );
  const s = summary.seconds;
  lines.push(`seconds: extract ${s.extract}, transform ${s.transform}, load ${s.load}, total ${s.total}`);
  return lines.join('\n');
}
