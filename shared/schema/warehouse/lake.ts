/**
 * The columns of a table as it travels through the lake (processed Parquet → load staging): the
 * warehouse columns without a fact's serial surrogate key, plus `source_version` last on every
 * versioned dimension (the source last_updated behind the row; the load keeps it in
 * pipeline.dimension_version, not in the table). Derived from the table spec only.
 */
import type { ValueKind } from '../value-kinds.ts';
import type { ColumnSource, SqlType, TableSpec } from './spec.ts';

export const SOURCE_VERSION = 'source_version';

export interface LakeColumn {
  readonly name: string;
  readonly kind: ValueKind;
  readonly type: SqlType;
  readonly nullable: boolean;
  readonly source: ColumnSource;
}

const SOURCE_VERSION_COLUMN: LakeColumn = {
  name: SOURCE_VERSION,
  kind: 'timestamp',
  type: { sql: 'timestamp(3)', kind: 'timestamp' },
  nullable: false,
  source: { kind: 'derived', rule: 'newest source last_updated behind the row' },
};

const cache = new WeakMap<TableSpec, readonly LakeColumn[]>();

export function lakeColumns(spec: TableSpec): readonly LakeColumn[] {
  const known = cache.get(spec);
  if (known) return known;
  const columns: LakeColumn[] = spec.columns
    .filter((c) => c.source.kind !== 'generated')
    .map((c) => ({ name: c.name, kind: c.type.kind, type: c.type, nullable: c.nullable, source: c.source }));
  if (spec.role === 'dimension') columns.push(SOURCE_VERSION_COLUMN);
  cache.set(spec, columns);
  return columns;
}

/** The dimension's (or dim_date's) key column. */
export function primaryKey(spec: TableSpec): string {
  const key = spec.columns.find((c) => c.key === 'primary');
  if (!key) throw new Error(`table ${spec.name} declares no primary key column`);
  return key.name;
}

/** A fact's serial surrogate key (the warehouse's own row id, never in the lake). */
export function surrogateKey(spec: TableSpec): string {
  const key = spec.columns.find((c) => c.key === 'surrogate');
  if (!key) throw new Error(`table ${spec.name} declares no surrogate key column`);
  return key.name;
}

/** A fact's natural id (the source's primary key). */
export function naturalId(spec: TableSpec): string {
  const key = spec.columns.find((c) => c.key === 'natural');
  if (!key) throw new Error(`table ${spec.name} declares no natural id column`);
  return key.name;
}
