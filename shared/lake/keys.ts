/**
 * Every key of both buckets, built and parsed in one place. Keys are immutable and sort by time:
 *
 * ingestion bucket (extract)                      processed bucket (transform)
 *   units/YYYY/MM/DD/<runId>/<table>.NNNN.json      units/YYYY/MM/DD/<runId>/<table>.NNNN.parquet
 *   units/YYYY/MM/DD/<runId>/manifest.json          units/YYYY/MM/DD/<runId>/manifest.json
 *                                                   units/YYYY/MM/DD/<runId>/part-NNNN/manifest.json (split unit)
 *
 * A replay (`totes replay`) adds generation G >= 2 of a unit beside the original, never over it:
 *   units/YYYY/MM/DD/<runId>/generation-GGGG/manifest.json   (ingestion: lists the original's objects)
 *   units/YYYY/MM/DD/<runId>/generation-GGGG/<table>.NNNN.parquet, …/manifest.json,
 *   …/generation-GGGG/part-NNNN/manifest.json                 (processed)
 * Generation 1 is the original layout above (no generation folder).
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

/** The first generation of every unit: the extract's own. */
export const FIRST_GENERATION = 1;
/** Generations are written as four digits; more than this many replays of one unit is refused. */
export const MAX_GENERATION = 9999;

/**
 * Where generation `generation` of a run keeps its objects: the run's prefix for generation 1,
 * `<prefix>generation-GGGG/` for a replay.
 */
export function generationPrefix(runId: string, generation: number = FIRST_GENERATION): string {
  if (!Number.isSafeInteger(generation) || generation < FIRST_GENERATION || generation > MAX_GENERATION)
    throw new Error(`generation ${generation} is not an integer from 1 to ${MAX_GENERATION}`);
  return generation === FIRST_GENERATION
    ? unitPrefix(runId)
    : `${unitPrefix(runId)}generation-${pad4(generation)}/`;
}

/** Part `part` (1-based) of a source table in the ingestion bucket. */
export function ingestionTableKey(runId: string, table: SourceTableName, part: number): string {
  return `${unitPrefix(runId)}${table}.${pad4(part)}.json`;
}

/**
 * The unit's manifest: the ingestion manifest, and the processed manifest of an unsplit unit
 * (of generation `generation`; the original's when omitted).
 */
export function manifestKey(runId: string, generation: number = FIRST_GENERATION): string {
  return `${generationPrefix(runId, generation)}${MANIFEST_SUFFIX}`;
}

/** Part `part` (1-based) of a warehouse table in the processed bucket. */
export function processedObjectKey(
  runId: string,
  table: WarehouseTable,
  part: number,
  generation: number = FIRST_GENERATION,
): string {
  return `${generationPrefix(runId, generation)}${table}.${pad4(part)}.parquet`;
}

/** The processed manifest of group `group` (1-based) of a split unit. */
export function processedPartManifestKey(
  runId: string,
  group: number,
  generation: number = FIRST_GENERATION,
): string {
  return `${generationPrefix(runId, generation)}part-${pad4(group)}/${MANIFEST_SUFFIX}`;
}

export function isManifestKey(key: string): boolean {
  return key.endsWith(`/${MANIFEST_SUFFIX}`);
}

/**
 * What a key of either bucket names. `generation` is present (>= 2) only for a key inside a
 * replay's `generation-GGGG/` folder.
 */
export type LakeKey = (
  | { readonly kind: 'manifest'; readonly runId: string }
  | { readonly kind: 'part-manifest'; readonly runId: string; readonly group: number }
  | { readonly kind: 'ingestion-part'; readonly runId: string; readonly table: string; readonly part: number }
  | { readonly kind: 'processed-part'; readonly runId: string; readonly table: string; readonly part: number }
  /** Inside a unit's prefix, but none of the above. */
  | { readonly kind: 'other'; readonly runId: string }
) & { readonly generation?: number };

const UNIT_KEY = /^units\/\d{4}\/\d{2}\/\d{2}\/([^/]+)\/(.*)$/;
const GENERATION_FOLDER = /^generation-(\d{4})\/(.*)$/;
const PART_MANIFEST = /^part-(\d{4})\/manifest\.json$/;
const TABLE_PART = /^([a-z_]+)\.(\d{4})\.(json|parquet)$/;

/** Parses a key of either bucket; null for a key outside the `units/YYYY/MM/DD/<runId>/` layout. */
export function parseLakeKey(key: string): LakeKey | null {
  const unit = UNIT_KEY.exec(key);
  if (!unit) return null;
  const runId = unit[1]!;
  let rest = unit[2]!;
  const folder = GENERATION_FOLDER.exec(rest);
  const generationNumber = folder ? Number(folder[1]) : FIRST_GENERATION;
  if (folder && generationNumber > FIRST_GENERATION) rest = folder[2]!;
  const generation = generationNumber > FIRST_GENERATION ? { generation: generationNumber } : {};
  if (rest === MANIFEST_SUFFIX) return { kind: 'manifest', runId, ...generation };
  const partManifest = PART_MANIFEST.exec(rest);
  if (partManifest) return { kind: 'part-manifest', runId, group: Number(partManifest[1]), ...generation };
  const tablePart = TABLE_PART.exec(rest);
  if (tablePart) {
    const kind = tablePart[3] === 'json' ? 'ingestion-part' : 'processed-part';
    return { kind, runId, table: tablePart[1]!, part: Number(tablePart[2]), ...generation };
  }
  return { kind: 'other', runId, ...generation };
}

/** `units/YYYY/MM/DD/<runId>/...` → runId (null for a key outside the unit layout). */
export function runIdFromKey(key: string): string | null {
  return parseLakeKey(key)?.runId ?? null;
}
