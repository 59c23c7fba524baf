/**
 * The contract between the stages: what an extract run writes to the ingestion bucket and what a
 * transform writes to the processed bucket (keys: keys.ts). A manifest is always written last and
 * is the only object whose notification starts work.
 */
import type { SourceColumnType, SourceTableName } from '../schema/totesys.ts';
import { isValueOf } from '../schema/value-kinds.ts';
import { WAREHOUSE_TABLES, type WarehouseTable } from '../schema/warehouse.ts';

export const INGESTION_TABLE_FORMAT = 'totes.ingestion.table.v1';
export const INGESTION_MANIFEST_FORMAT = 'totes.ingestion.manifest.v1';
export const PROCESSED_MANIFEST_FORMAT = 'totes.processed.manifest.v1';

/**
 * One JSON value per source value, losslessly:
 * int → number; numeric → decimal string ('2.57', never a float); varchar → string;
 * timestamp → 'YYYY-MM-DD HH:MM:SS.mmm' (UTC wall-clock, always three fraction digits);
 * boolean → boolean; SQL NULL → null.
 */
export type SourceValue = number | string | boolean | null;

/** One object per table (or per part of a large table) of an extract run. */
export interface IngestionTableObject {
  readonly format: typeof INGESTION_TABLE_FORMAT;
  readonly runId: string;
  readonly table: SourceTableName;
  readonly part: number;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: SourceColumnType }>;
  /** Each row is an array aligned with `columns`. */
  readonly rows: ReadonlyArray<readonly SourceValue[]>;
}

export interface IngestionManifestObject {
  readonly table: SourceTableName;
  readonly key: string;
  readonly part: number;
  readonly rows: number;
}

export interface IngestionManifest {
  readonly format: typeof INGESTION_MANIFEST_FORMAT;
  readonly runId: string;
  /** The source database's clock when the run read its snapshot (never the Lambda's clock). */
  readonly extractedAt: string;
  /** Per table, the last_updated window the run covered. */
  readonly windows: Readonly<
    Partial<Record<SourceTableName, { readonly from: string | null; readonly to: string }>>
  >;
  /** Rows whose version changed in the window, per table (the rest are join partners). */
  readonly changedRows: Readonly<Partial<Record<SourceTableName, number>>>;
  readonly objects: readonly IngestionManifestObject[];
  /**
   * Absent (= 1) on the extract's own manifest. A replay's manifest (`totes replay`, key
   * `<prefix>generation-GGGG/manifest.json`) repeats the original's fields and objects (the
   * original's table objects, never copied) with its generation >= 2 and the original's key.
   */
  readonly generation?: number;
  readonly replayOf?: string;
}

export interface ProcessedManifestObject {
  readonly table: WarehouseTable;
  readonly key: string;
  readonly rows: number;
}

/**
 * A source row the transform could not carry (issue 19 item 6b), kept whole with its reason: the
 * load records it in `pipeline.quarantine`, so it is visible (`totes quarantine`) and arrives
 * exactly once when a replay of the unit, with fixed code, carries it. Held rows are not
 * re-extracted (the source row will not change because our code did), so the row is kept as the
 * extract read it.
 */
export interface HeldRow {
  /** The source table of the row. */
  readonly table: SourceTableName;
  /** Its primary key, null when that value itself was unreadable. */
  readonly id: number | null;
  /** Its last_updated as extracted (null when unreadable). */
  readonly lastUpdated: string | null;
  /** The ingestion table object it was read from. */
  readonly object: string;
  readonly errorClass: string;
  readonly reason: string;
  /** The whole source row, column name → value as extracted. */
  readonly row: Readonly<Record<string, unknown>>;
  /**
   * The warehouse dimension rows this unit does not carry because of it (a held staff row:
   * dim_staff of its id). The load holds a fact that references one of them, unless the
   * warehouse already has that dimension row from an earlier unit.
   */
  readonly withholds: readonly { readonly table: WarehouseTable; readonly id: number }[];
}

export interface ProcessedManifest {
  readonly format: typeof PROCESSED_MANIFEST_FORMAT;
  /** Unique, stable name of this unit of load work (the load ledger's key). */
  readonly unitId: string;
  readonly runId: string;
  /** The ingestion manifest this unit was derived from. */
  readonly source: { readonly bucket: string; readonly key: string; readonly eTag: string };
  /** Newest source last_updated in the unit (drives the freshness metric). */
  readonly newestSourceUpdate: string | null;
  readonly objects: readonly ProcessedManifestObject[];
  /**
   * Which transform of the unit this is: absent (= 1) for the first, >= 2 for a replay's. Every
   * generation of a unit carries the same unitId; the load applies a generation only when it is
   * newer than the one it applied, and then replaces the earlier generation's rows.
   */
  readonly generation?: number;
  /** Source rows of the unit that could not be carried (absent: none); see HeldRow. */
  readonly held?: readonly HeldRow[];
}

/** A manifest's generation: 1 when it names none (every manifest written before replays existed). */
export function generationOf(manifest: { readonly generation?: number }): number {
  return manifest.generation ?? 1;
}

/** Checks an optional generation field (absent, or an integer from 1 to 9999). */
export function checkGeneration(value: unknown): string | null {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 9999)
    return `generation ${JSON.stringify(value)} is not an integer from 1 to 9999`;
  return null;
}

/**
 * Checks a parsed processed manifest (the load's input). `Invalid` is the stage's error class for
 * a unit it cannot take (the load's BadUnitError), so the failure record names the stage's class.
 */
export function validateProcessedManifest(
  value: unknown,
  where: string,
  Invalid: new (message: string) => Error,
): ProcessedManifest {
  const m = value as Partial<ProcessedManifest> | null;
  const fail = (why: string): never => {
    throw new Invalid(`${where}: ${why}`);
  };
  if (!m || typeof m !== 'object') return fail('not a JSON object');
  if (m.format !== PROCESSED_MANIFEST_FORMAT)
    fail(`format is ${JSON.stringify(m.format)}, expected ${PROCESSED_MANIFEST_FORMAT}`);
  if (typeof m.unitId !== 'string' || m.unitId === '') fail('unitId is missing');
  if (typeof m.runId !== 'string' || m.runId === '') fail('runId is missing');
  if (m.newestSourceUpdate !== null && !isValueOf('timestamp', m.newestSourceUpdate))
    fail(`newestSourceUpdate ${JSON.stringify(m.newestSourceUpdate)} is not a timestamp`);
  const badGeneration = checkGeneration(m.generation);
  if (badGeneration) fail(badGeneration);
  if (!Array.isArray(m.objects)) return fail('objects is not a list');
  for (const [i, o] of m.objects.entries()) {
    if (!o || typeof o !== 'object') fail(`objects[${i}] is not an object`);
    if (!(WAREHOUSE_TABLES as readonly string[]).includes(o.table))
      fail(`objects[${i}] names unknown table ${JSON.stringify(o.table)}`);
    if (typeof o.key !== 'string' || o.key === '') fail(`objects[${i}] has no key`);
    if (!Number.isSafeInteger(o.rows) || o.rows < 0) fail(`objects[${i}] has no row count`);
  }
  if (m.held !== undefined) {
    if (!Array.isArray(m.held)) return fail('held is not a list');
    for (const [i, h] of m.held.entries()) {
      const bad = checkHeldRow(h);
      if (bad) fail(`held[${i}] ${bad}`);
    }
  }
  return m as ProcessedManifest;
}

/** Why `value` is not a HeldRow, or null. */
export function checkHeldRow(value: unknown): string | null {
  const h = value as Partial<HeldRow> | null;
  if (!h || typeof h !== 'object') return 'is not an object';
  if (typeof h.table !== 'string' || (h.table as string) === '') return 'has no table';
  if (h.id !== null && !Number.isSafeInteger(h.id)) return 'has no id';
  if (h.lastUpdated !== null && typeof h.lastUpdated !== 'string') return 'has no lastUpdated';
  if (typeof h.object !== 'string') return 'has no object';
  if (typeof h.errorClass !== 'string' || typeof h.reason !== 'string') return 'has no reason';
  if (!h.row || typeof h.row !== 'object' || Array.isArray(h.row)) return 'has no row';
  if (!Array.isArray(h.withholds)) return 'has no withholds list';
  for (const w of h.withholds) {
    if (!w || !(WAREHOUSE_TABLES as readonly string[]).includes(w.table) || !Number.isSafeInteger(w.id))
      return `withholds ${JSON.stringify(w)}, not a warehouse table and id`;
  }
  return null;
}
