/**
 * The contract between the stages: what an extract run writes to the ingestion bucket and what a
 * transform writes to the processed bucket. Keys are immutable and sort by time; a manifest is
 * always written last and is the only object whose notification starts work.
 */
import { MANIFEST_SUFFIX } from '../config/resources.ts';
import type { SourceColumnType, SourceTableName } from '../schema/totesys.ts';
import type { WarehouseTable } from '../schema/warehouse.ts';

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
}

export interface ProcessedManifestObject {
  readonly table: WarehouseTable;
  readonly key: string;
  readonly rows: number;
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
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

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

export function ingestionTableKey(runId: string, table: SourceTableName, part: number): string {
  return `${unitPrefix(runId)}${table}.${pad(part, 4)}.json`;
}

export function manifestKey(runId: string): string {
  return `${unitPrefix(runId)}${MANIFEST_SUFFIX}`;
}

export function isManifestKey(key: string): boolean {
  return key.endsWith(`/${MANIFEST_SUFFIX}`);
}
