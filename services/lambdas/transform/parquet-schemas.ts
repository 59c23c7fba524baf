/**
 * The Parquet schema of every processed table, derived from its table spec
 * (shared/schema/warehouse/): exactly the lake columns (the warehouse table's columns in DDL
 * order, facts without their serial surrogate key, `source_version` TIMESTAMP(ms) last on every
 * dimension except dim_date), nullability as in the spec.
 *
 * Types: int → INT32; varchar → UTF8; date → DATE; time(3) → TIME(MILLIS); timestamp(3) →
 * TIMESTAMP(MILLIS); boolean → BOOLEAN; numeric(p,s) → DECIMAL(p,s); unbounded numeric →
 * DECIMAL(p, s) with s = the largest scale in the file's data and p = 18 (INT64) when every value
 * fits, else 38 (FIXED_LEN_BYTE_ARRAY(16)), else (a value beyond 38 digits in the file) UTF8
 * decimal text — so no source value is ever refused or altered.
 */
import {
  type ParquetColumnType,
  type ParquetTableSchema,
  UNBOUNDED_DECIMAL_PRECISION,
} from '../../../shared/parquet/index.ts';
import { WAREHOUSE_SPECS } from '../../../shared/schema/warehouse/index.ts';
import { type LakeColumn, lakeColumns, SOURCE_VERSION } from '../../../shared/schema/warehouse/lake.ts';
import type { TableSpec } from '../../../shared/schema/warehouse/spec.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';

export { SOURCE_VERSION };

function parquetType({ type }: LakeColumn): ParquetColumnType {
  switch (type.sql) {
    case 'int':
    case 'serial':
      return { kind: 'int32' };
    case 'varchar':
      return { kind: 'utf8' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'date':
      return { kind: 'date' };
    case 'time(3)':
      return { kind: 'time-millis' };
    case 'timestamp(3)':
      return { kind: 'timestamp-millis' };
    case 'numeric':
      return type.precision === undefined
        ? { kind: 'decimal', precision: UNBOUNDED_DECIMAL_PRECISION, scale: 'data' }
        : { kind: 'decimal', precision: type.precision, scale: type.scale ?? 0 };
  }
}

export function parquetSchemaOf(spec: TableSpec): ParquetTableSchema {
  return {
    name: spec.name,
    columns: lakeColumns(spec).map((c) => ({ name: c.name, type: parquetType(c), nullable: c.nullable })),
  };
}

export const PARQUET_SCHEMAS = Object.fromEntries(
  Object.values(WAREHOUSE_SPECS).map((spec) => [spec.name, parquetSchemaOf(spec)]),
) as Readonly<Record<WarehouseTable, ParquetTableSchema>>;
