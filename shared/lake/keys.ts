/**
 * Every key of both buckets, built and parsed in one place. Keys are immutable and sort by time:
 *
 * ingestion bucket (extract)                      processed bucket (transform)
 *   units/YYYY/MM/DD/<runId>/<table>.NNNN.json      units/YYYY/MM/DD/<runId>/<table>.NNNN.parquet
 *   units/YYYY/MM/DD/<runId>/manifest.json          units/YYYY/MM/DD/<runId>/manifest.json
 *                                                   units/YYYY/MM/DD/<runId>/part-NNNN/manifest.json (split unit)
 *
 * A manifest is always written last and is the only object whose notification starts work.
 */
import { MANIFEST_SUFFIX } from '../config/resources.ts';
import type { SourceTableName } from '../schema/totesys.ts';
import type { WarehouseTable } from '../schema/warehouse.ts';

const pad4 = (n: number) => String(n).padStart(4, '0');

/**
 * A run id that sorts by time: the database clock's 'YYYY-MM-DD HH:MM:SS.mmm' compacted, then a
 * random suffix so two runs in one millisecond still differ.
 */
export function newRunId(databaseNow: string, random: string): string {
  const compact = databaseNow.replace(/[-:]/g, '').replace(' ', 'T').replace('.', '');
  return `${compact}Z-${random}`;
}

/** `units/YYYY/MM/DD/<runId>/`: the prefix every object of one run shares, in both buckets. */
export function unitPrefix(runId: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})T/.exec(runId);
  if (!match) throw new Error(`run id ${runId} does not start with a compact timestamp`);
  return `units/${match[1]}/${match[2]}/${match[3]}/${runId}/`;
}

/** Part `part` (1-based) of a source table in the ingestion bucket. */
export function ingestionTableKey(runId: string, table: SourceTableName, part: number): string {
  return `${unitPrefix(runId)}${table}.${pad4(part)}.json`;
}

/** The unit's manifest: the ingestion manifest, and the processed manifest of an unsplit unit. */
export function manifestKey(runId: string): string {
  return `${unitPrefix(runId)}${MANIFEST_SUFFIX}`;
}

/** Part `part` (1-based) of a warehouse table in the processed bucket. */
export function processedObjectKey(runId: string, table: WarehouseTable, part: number): string {
  return `${unitPrefix(runId)}${table}.${pad4(part)}.parquet`;
}

/** The processed manifest of group `group` (1-based) of a split unit. */
export function processedPartManifestKey(runId: string, group: number): string {
  return `${unitPrefix(runId)}part-${pad4(group)}/${MANIFEST_SUFFIX}`;
}

export function isManifestKey(key: string): boolean {
  return key.endsWith(`/${MANIFEST_SUFFIX}`);
}

/** What a key of either bucket names. */
export type LakeKey =
  | { readonly kind: 'manifest'; readonly runId: string }
  | { readonly kind: 'part-manifest'; readonly runId: string; readonly group: number }
  | { readonly kind: 'ingestion-part'; readonly runId: string; readonly table: string; readonly part: number }
  | { readonly kind: 'processed-part'; readonly runId: string; readonly table: string; readonly part: number }
  /** Inside a unit's prefix, but none of the above. */
  | { readonly kind: 'other'; readonly runId: string };

const UNIT_KEY = /^units\/\d{4}\/\d{2}\/\d{2}\/([^/]+)\/(.*)$/;
const PART_MANIFEST = /^part-(\d{4})\/manifest\.json$/;
const TABLE_PART = /^([a-z_]+)\.(\d{4})\.(json|parquet)$/;

/** Parses a key of either bucket; null for a key outside the `units/YYYY/MM/DD/<runId>/` layout. */
export function parseLakeKey(key: string): LakeKey | null {
  const unit = UNIT_KEY.exec(key);
  if (!unit) return null;
  const runId = unit[1]!;
  const rest = unit[2]!;
  if (rest === MANIFEST_SUFFIX) return { kind: 'manifest', runId };
  const partManifest = PART_MANIFEST.exec(rest);
  if (partManifest) return { kind: 'part-manifest', runId, group: Number(partManifest[1]) };
  const tablePart = TABLE_PART.exec(rest);
  if (tablePart) {
    const kind = tablePart[3] === 'json' ? 'ingestion-part' : 'processed-part';
    return { kind, runId, table: tablePart[1]!, part: Number(tablePart[2]) };
  }
  return { kind: 'other', runId };
}

/** `units/YYYY/MM/DD/<runId>/...` → runId (null for a key outside the unit layout). */
export function runIdFromKey(key: string): string | null {
  return parseLakeKey(key)?.runId ?? null;
}
