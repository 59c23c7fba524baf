/**
 * `totes replay`: a new generation of every ingestion unit of a window, so today's transform and
 * load redo them (design and proof: services/lambdas/load/README.md, "Replay").
 *
 * For each unit the replay writes ONE new object, the unit's ingestion manifest of generation G
 * (`<prefix>generation-GGGG/manifest.json`): the original manifest's fields and objects (the
 * original table objects, never copied or changed) plus `generation` and `replayOf`. Its S3
 * notification starts the transform as for any unit; the transform writes generation G's
 * processed objects in their own folder and a processed manifest with the same unitId; the load
 * applies it only if no generation >= G is applied, replacing the earlier generation's rows in
 * the unit's one transaction. Nothing in the lake is overwritten.
 *
 * Racing replays: the manifest is written with If-None-Match: * (shared/lake/write.ts). When
 * another replay took generation G first, this one lists the unit again and tries G+1 (up to
 * `GENERATION_ATTEMPTS` times); both generations are then valid replays with today's code, and
 * the load keeps the higher.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  type IngestionManifest,
  LakeConflictError,
  manifestKey,
  metadataValue,
  readText,
  unitPrefix,
  writeOnce,
} from '../../../../shared/lake/index.ts';
import { nextGeneration, type UnitGenerations, unitsInWindow } from './plan.ts';
import { dayPrefixes, formatTime, type ReplayWindow } from './window.ts';

export const GENERATION_ATTEMPTS = 5;
/** Largest ingestion manifest read (they list objects, not rows: a few KiB). */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export interface ReplayUnitReport {
  readonly runId: string;
  readonly extractedAt: string;
  /** The generation this replay wrote (or would write, with --dry-run). */
  readonly generation: number;
  /** The highest generation before it (1: the original). */
  readonly replaces: number;
  /** The new ingestion manifest's key. */
  readonly key: string;
  /** Source table → rows in the unit (changed rows and join partners), from the manifest. */
  readonly rows: Readonly<Record<string, number>>;
  readonly status: 'would-replay' | 'replayed' | 'failed';
  readonly error?: string;
}

export interface ReplayReport {
  readonly target: string;
  readonly bucket: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly dryRun: boolean;
  readonly units: readonly ReplayUnitReport[];
  readonly totals: { readonly units: number; readonly rows: number; readonly failed: number };
}

export interface ReplayOptions {
  readonly s3: S3Client;
  /** The ingestion bucket. */
  readonly bucket: string;
  readonly window: ReplayWindow;
  readonly dryRun: boolean;
  /** Shown in the report ("local stack in …", "AWS deployment totes"). */
  readonly target: string;
  /** Called after each unit (progress on stderr). */
  readonly onUnit?: (unit: ReplayUnitReport) => void;
}

/** Every key under `prefix` in `bucket`, through all pages. */
async function* listKeys(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all;
}

/** The window's units with their generations, from one listing per UTC day. */
export async function findUnits(
  s3: S3Client,
  bucket: string,
  window: ReplayWindow,
): Promise<UnitGenerations[]> {
  const keys: string[] = [];
  for (const prefix of dayPrefixes(window)) keys.push(...(await collect(listKeys(s3, bucket, prefix))));
  return unitsInWindow(keys, window);
}

async function readManifest(s3: S3Client, bucket: string, key: string): Promise<IngestionManifest> {
  const { text } = await readText(s3, {
    bucket,
    key,
    what: 'ingestion manifest',
    maxBytes: MAX_MANIFEST_BYTES,
  });
  const manifest = JSON.parse(text) as IngestionManifest;
  if (!manifest || typeof manifest !== 'object' || !Array.isArray(manifest.objects))
    throw new Error(`s3://${bucket}/${key} is not an ingestion manifest`);
  return manifest;
}

function rowsOf(manifest: IngestionManifest): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const object of manifest.objects) rows[object.table] = (rows[object.table] ?? 0) + object.rows;
  return rows;
}

/**
 * Writes generation `generation` of the unit; on a race lost to another replay, the next free
 * generation. Returns the generation written.
 */
async function writeGeneration(
  s3: S3Client,
  bucket: string,
  original: IngestionManifest,
  unit: UnitGenerations,
  replayId: string,
): Promise<number> {
  let current = unit;
  for (let attempt = 1; ; attempt++) {
    const generation = nextGeneration(current);
    const body: IngestionManifest = { ...original, generation, replayOf: unit.originalKey };
    try {
      await writeOnce(
        s3,
        {
          bucket,
          key: manifestKey(unit.runId, generation),
          body: JSON.stringify(body, null, 2),
          contentType: 'application/json',
          metadata: {
            'run-id': metadataValue(unit.runId),
            'replay-id': replayId,
            'replay-of': metadataValue(unit.originalKey),
          },
        },
        // Ours only when this very replay wrote it (a retried PUT whose first try landed).
        { isOwn: (metadata) => metadata['replay-id'] === replayId, checkFirst: true },
      );
      return generation;
    } catch (error) {
      if (attempt >= GENERATION_ATTEMPTS || !isTaken(error)) throw error;
      // Another replay took that generation: look again and take the next one.
      const keys = await collect(listKeys(s3, bucket, unitPrefix(unit.runId)));
      current = unitsInWindow(keys, { from: 0, to: Number.MAX_SAFE_INTEGER }).find(
        (u) => u.runId === unit.runId,
      ) ?? { ...current, highest: generation };
    }
  }
}

function isTaken(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return (
    error instanceof LakeConflictError ||
    e?.name === 'PreconditionFailed' ||
    e?.$metadata?.httpStatusCode === 412
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function replayUnits(options: ReplayOptions): Promise<ReplayReport> {
  const { s3, bucket, window, dryRun } = options;
  const replayId = randomUUID();
  const units = await findUnits(s3, bucket, window);
  const reports: ReplayUnitReport[] = [];
  for (const unit of units) {
    let report: ReplayUnitReport;
    const planned = { runId: unit.runId, replaces: unit.highest };
    try {
      const original = await readManifest(s3, bucket, unit.originalKey);
      const rows = rowsOf(original);
      const base = { ...planned, extractedAt: original.extractedAt, rows };
      if (dryRun) {
        const generation = nextGeneration(unit);
        report = { ...base, generation, key: manifestKey(unit.runId, generation), status: 'would-replay' };
      } else {
        const generation = await writeGeneration(s3, bucket, original, unit, replayId);
        report = {
          ...base,
          replaces: generation - 1,
          generation,
          key: manifestKey(unit.runId, generation),
          status: 'replayed',
        };
      }
    } catch (error) {
      report = {
        ...planned,
        extractedAt: '',
        generation: unit.highest + 1,
        key: '',
        rows: {},
        status: 'failed',
        error: describe(error),
      };
    }
    reports.push(report);
    options.onUnit?.(report);
  }
  const rows = reports.reduce((sum, u) => sum + Object.values(u.rows).reduce((a, b) => a + b, 0), 0);
  return {
    target: options.target,
    bucket,
    window: { from: formatTime(window.from), to: formatTime(window.to) },
    dryRun,
    units: reports,
    totals: { units: reports.length, rows, failed: reports.filter((u) => u.status === 'failed').length },
  };
}
