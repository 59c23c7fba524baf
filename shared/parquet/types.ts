/** The types shared by the Parquet writer and reader (see ./index.ts for the value mapping). */

export type ParquetColumnType =
  | { readonly kind: 'int32' }
  | { readonly kind: 'utf8' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'date' }
  | { readonly kind: 'time-millis' }
  | { readonly kind: 'timestamp-millis' }
  /** `scale: 'data'`: the largest scale present in the values written (unbounded numeric). */
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number | 'data' };

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
  readonly nullable: boolean;
}

export interface ParquetTableSchema {
  readonly name: string;
  readonly columns: readonly ParquetColumn[];
}

/**
 * A value as ./index.ts maps it; a date, time or timestamp may also be given to the writer as its
 * physical number (days since 1970, ms since midnight, ms since 1970).
 */
export type ParquetValue = string | number | boolean | null;
/** A row as an array aligned with the schema's columns. */
export type ParquetRow = readonly ParquetValue[];

export const DEFAULT_ROW_GROUP_SIZE = 20_000;
/**
 * Precision of unbounded numerics (PostgreSQL `numeric` without a declared precision) when a file's
 * values need more than 18 digits; a file with a wider value carries the column as UTF8 text.
 */
export const UNBOUNDED_DECIMAL_PRECISION = 38;

export type ResolvedType =
  | Exclude<ParquetColumnType, { kind: 'decimal' }>
  | {
      readonly kind: 'decimal';
      readonly precision: number;
      readonly scale: number;
    };

export interface ResolvedColumn {
  readonly name: string;
  readonly type: ResolvedType;
  readonly nullable: boolean;
}

export interface ParquetFileWriter {
  readonly columns: readonly ResolvedColumn[];
  /** Encodes `rows` as one or more row groups (at most `rowGroupSize` rows each). */
  write(rows: readonly ParquetRow[]): void;
  /** Writes the footer and returns the whole file. */
  finish(): Uint8Array;
  readonly rowCount: number;
}

export interface ReadColumn {
  readonly name: string;
  readonly type: ResolvedType;
  readonly nullable: boolean;
}

export interface ParquetReadResult {
  readonly columns: readonly ReadColumn[];
  readonly rowCount: number;
  /** Rows keyed by column name, values exact (see the module comment). */
  readonly rows: Record<string, ParquetValue>[];
}
