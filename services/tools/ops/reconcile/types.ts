/**
 * Result types of `totes reconcile`: an independent oracle that compares a warehouse with its
 * source as spec §2 defines it. It never imports the transform; the expectation is computed here.
 */

export type MismatchKind = 'missing' | 'extra' | 'different' | 'duplicate' | 'missing-date' | 'bad-date';

export const MISMATCH_KINDS: readonly MismatchKind[] = [
  'missing',
  'extra',
  'different',
  'duplicate',
  'missing-date',
  'bad-date',
];

export interface Mismatch {
  /** Warehouse table the mismatch is about. */
  readonly table: string;
  readonly kind: MismatchKind;
  /** Natural id (dimension id or fact natural id); 'YYYY-MM-DD' for dim_date. */
  readonly id: number | string;
  readonly column?: string;
  /** What the source says (text, exact); null is SQL NULL. */
  readonly expected?: string | null;
  /** What the warehouse holds (text, exact); null is SQL NULL. */
  readonly actual?: string | null;
  /** Fact version ('YYYY-MM-DD HH:MM:SS.mmm') for duplicates. */
  readonly version?: string;
}

export interface TableCounts {
  /** Rows in the source table behind this warehouse table (null for dim_date). */
  sourceRows: number | null;
  /** Rows in the warehouse table (for facts: every stored version). */
  warehouseRows: number;
  /** Ids present on both sides and compared column by column (facts: latest versions). */
  compared: number;
  /**
   * Ids whose fingerprints differed and were re-read column by column (0 for a matching table:
   * equal values give equal fingerprints on both sides).
   */
  rechecked?: number;
  /** Distinct natural ids in a fact table. */
  warehouseIds?: number;
  /** Natural id + version pairs stored more than once (facts). */
  duplicateVersions?: number;
  /** Distinct dates referenced by fact rows (dim_date). */
  referencedDates?: number;
  /** Every mismatch found in this table, including those not kept in `mismatches`. */
  mismatches: number;
}

export interface ReconcileSummary {
  readonly totalMismatches: number;
  readonly byKind: Readonly<Record<MismatchKind, number>>;
  /** True when some mismatches were counted but not kept (see maxMismatchesPerTable). */
  readonly truncated: boolean;
  readonly tablesChecked: number;
  readonly elapsedMs: number;
}

export interface ReconcileResult {
  readonly ok: boolean;
  readonly mismatches: readonly Mismatch[];
  readonly counts: Readonly<Record<string, TableCounts>>;
  readonly summary: ReconcileSummary;
}

export interface ReconcileOptions {
  /** Rows per keyset page read from each side (default 10,000). */
  readonly pageSize?: number;
  /**
   * Ids per digest block (default 1,000): each database digests its rows per block, and only
   * blocks whose digests differ are read row by row.
   */
  readonly blockSize?: number;
  /** Mismatches kept per table in `mismatches` (all are counted; default 1,000). */
  readonly maxMismatchesPerTable?: number;
}
