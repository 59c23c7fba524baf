/**
 * The shape of a warehouse table specification (one file per table beside this one, dbt-like):
 * every column with its SQL type, nullability, key role, foreign key, and where its value comes
 * from: a source column named explicitly (`sales_staff_id: int(from('staff_id'))` is the rename),
 * the date or time part of a source timestamp, or a derivation the transform computes.
 *
 * Everything else is derived from these declarations: the DDL (./ddl.ts), the lake's column list
 * (./lake.ts) and from it the Parquet schema (transform) and the load's staging and merge.
 */
import type { FragmentSqlToken } from 'slonik';
import type { SourceTableName } from '../totesys.ts';
import type { ValueKind } from '../value-kinds.ts';

/** The SQL types the warehouse uses, each with the value kind its values travel as. */
export type SqlType =
  | { readonly sql: 'int'; readonly kind: 'int' }
  | { readonly sql: 'serial'; readonly kind: 'int' }
  | { readonly sql: 'varchar'; readonly kind: 'text' }
  | { readonly sql: 'boolean'; readonly kind: 'boolean' }
  | { readonly sql: 'date'; readonly kind: 'date' }
  | { readonly sql: 'time(3)'; readonly kind: 'time' }
  | { readonly sql: 'timestamp(3)'; readonly kind: 'timestamp' }
  /** numeric(precision, scale); without them the unbounded numeric of the source. */
  | {
      readonly sql: 'numeric';
      readonly kind: 'decimal';
      readonly precision?: number;
      readonly scale?: number;
    };

/** Where a column's value comes from (the transform evaluates it; see derive.ts). */
export type ColumnSource =
  /** A source column copied as is; `table` defaults to the table spec's `source`. */
  | { readonly kind: 'column'; readonly table?: SourceTableName; readonly column: string }
  /** The date part ('YYYY-MM-DD') of a source timestamp column. */
  | { readonly kind: 'date-of'; readonly column: string }
  /** The time part ('HH:MM:SS.mmm') of a source timestamp column. */
  | { readonly kind: 'time-of'; readonly column: string }
  /** Computed by the transform by a named rule (the text says how). */
  | { readonly kind: 'derived'; readonly rule: string }
  /** Assigned by the warehouse itself (serial surrogate key); never in the lake. */
  | { readonly kind: 'generated' };

export interface ColumnSpec {
  readonly name: string;
  readonly type: SqlType;
  readonly nullable: boolean;
  /** 'primary': the dimension's key; 'surrogate': a fact's serial key; 'natural': a fact's source id. */
  readonly key?: 'primary' | 'surrogate' | 'natural';
  readonly references?: { readonly table: string; readonly column: string };
  /** A CHECK on the column, as static SQL over the column (`"quarter" BETWEEN 1 AND 4`). */
  readonly check?: FragmentSqlToken;
  readonly source: ColumnSource;
}

/**
 * - 'date': dim_date, rows derived from the dates facts reference; merged ON CONFLICT DO NOTHING.
 * - 'dimension': keyed by a source id, newest source version wins (the lake carries
 *   `source_version`, kept in pipeline.dimension_version, not in the table).
 * - 'fact': serial surrogate key, one row per source version (UNIQUE natural id + last update).
 */
export type TableRole = 'date' | 'dimension' | 'fact';

export interface TableSpec<Name extends string = string> {
  readonly name: Name;
  readonly role: TableRole;
  /** The source table most columns come from (none for dim_date). */
  readonly source?: SourceTableName;
  readonly columns: readonly ColumnSpec[];
  /** Facts: the UNIQUE constraint that makes a source version load once. */
  readonly versionKey?: { readonly name: string; readonly columns: readonly string[] };
}

// ---------------------------------------------------------------------------------------------
// Builders: a table file reads as a list of `name: type(source, options)`.

export interface ColumnOptions {
  readonly nullable?: boolean;
  readonly key?: ColumnSpec['key'];
  /** `[table, column]` of the referenced key. */
  readonly references?: readonly [string, string];
  readonly check?: FragmentSqlToken;
}

/** A column before it gets its name (the key it is declared under). */
export type ColumnDraft = Omit<ColumnSpec, 'name'>;

const draft = (type: SqlType, source: ColumnSource, options: ColumnOptions = {}): ColumnDraft => ({
  type,
  source,
  nullable: options.nullable ?? false,
  ...(options.key ? { key: options.key } : {}),
  ...(options.references
    ? { references: { table: options.references[0], column: options.references[1] } }
    : {}),
  ...(options.check ? { check: options.check } : {}),
});

export const int = (source: ColumnSource, options?: ColumnOptions) =>
  draft({ sql: 'int', kind: 'int' }, source, options);
export const serial = (options?: ColumnOptions) =>
  draft({ sql: 'serial', kind: 'int' }, { kind: 'generated' }, options);
export const varchar = (source: ColumnSource, options?: ColumnOptions) =>
  draft({ sql: 'varchar', kind: 'text' }, source, options);
export const boolean = (source: ColumnSource, options?: ColumnOptions) =>
  draft({ sql: 'boolean', kind: 'boolean' }, source, options);
export const date = (source: ColumnSource, options?: ColumnOptions) =>
  draft({ sql: 'date', kind: 'date' }, source, options);
export const time3 = (source: ColumnSource, options?: ColumnOptions) =>
  draft({ sql: 'time(3)', kind: 'time' }, source, options);
/** numeric(precision, scale), or the unbounded numeric when `size` is omitted. */
export const numeric = (
  source: ColumnSource,
  size?: { readonly precision: number; readonly scale: number },
  options?: ColumnOptions,
) => draft({ sql: 'numeric', kind: 'decimal', ...(size ?? {}) }, source, options);

/** A source column by name: `from('staff_id')`, or of a joined table: `from('address.city')`. */
export function from(column: string): ColumnSource {
  const dot = column.indexOf('.');
  if (dot < 0) return { kind: 'column', column };
  return { kind: 'column', table: column.slice(0, dot) as SourceTableName, column: column.slice(dot + 1) };
}
export const dateOf = (column: string): ColumnSource => ({ kind: 'date-of', column });
export const timeOf = (column: string): ColumnSource => ({ kind: 'time-of', column });
export const derived = (rule: string): ColumnSource => ({ kind: 'derived', rule });

/** Names each draft by its key, in declaration order (the DDL's column order). */
export function columns(drafts: Readonly<Record<string, ColumnDraft>>): ColumnSpec[] {
  return Object.entries(drafts).map(([name, column]) => ({ name, ...column }));
}

export type { ValueKind };

/**
 * The four columns that date a fact version: the date and time parts of the source's created_at
 * and last_updated, each date a dim_date key.
 */
export function versionStampColumns(): Record<string, ColumnDraft> {
  const day = { references: ['dim_date', 'date_id'] } as const;
  return {
    created_date: date(dateOf('created_at'), day),
    created_time: time3(timeOf('created_at')),
    last_updated_date: date(dateOf('last_updated'), day),
    last_updated_time: time3(timeOf('last_updated')),
  };
}
