import type { ValueKind } from '../../../shared/schema/value-kinds.ts';
import { WAREHOUSE_SPECS } from '../../../shared/schema/warehouse/index.ts';
import {
  lakeColumns,
  naturalId,
  primaryKey,
  SOURCE_VERSION,
  surrogateKey,
} from '../../../shared/schema/warehouse/lake.ts';
import type { TableSpec } from '../../../shared/schema/warehouse/spec.ts';
import {
  DIMENSION_TABLES,
  type DimensionTable,
  FACT_TABLES,
  type FactTable,
  type WarehouseTable,
} from '../../../shared/schema/warehouse.ts';

/**
 * What the load needs to know about each warehouse table, derived from its spec
 * (shared/schema/warehouse/): the columns a processed unit carries (the lake columns: facts without
 * their serial surrogate key; dimensions other than dim_date with `source_version`), the kind of
 * each value (it fixes the staging type and the value checked while staging, so a transform bug
 * fails loudly instead of being coerced by PostgreSQL), and the merge's conflict target.
 */
export type { ValueKind };

export interface LoadColumn {
  readonly name: string;
  readonly kind: ValueKind;
  readonly nullable: boolean;
}

interface LoadTableBase {
  readonly name: WarehouseTable;
  readonly columns: readonly LoadColumn[];
}

export interface DateDimensionLoad extends LoadTableBase {
  readonly role: 'date';
  readonly key: string;
}

export interface VersionedDimensionLoad extends LoadTableBase {
  readonly role: 'dimension';
  readonly name: Exclude<DimensionTable, 'dim_date'>;
  readonly key: string;
}

export interface FactLoad extends LoadTableBase {
  readonly role: 'fact';
  readonly name: FactTable;
  /** The natural id; with last_updated_date + last_updated_time it forms `versionConstraint`. */
  readonly naturalId: string;
  readonly versionConstraint: string;
  /** The serial row id: what the ledger records as the rows a unit inserted (generations.ts). */
  readonly surrogateKey: string;
}

export type LoadTable = DateDimensionLoad | VersionedDimensionLoad | FactLoad;

/** The source version carried by every dimension row except dim_date. */
export const SOURCE_VERSION_COLUMN = SOURCE_VERSION;

export function loadTableOf(spec: TableSpec): LoadTable {
  const columns = lakeColumns(spec).map(({ name, kind, nullable }) => ({ name, kind, nullable }));
  const name = spec.name as WarehouseTable;
  switch (spec.role) {
    case 'date':
      return { role: 'date', name, key: primaryKey(spec), columns };
    case 'dimension':
      return {
        role: 'dimension',
        name: name as Exclude<DimensionTable, 'dim_date'>,
        key: primaryKey(spec),
        columns,
      };
    case 'fact':
      if (!spec.versionKey) throw new Error(`fact table ${spec.name} declares no version key`);
      return {
        role: 'fact',
        name: name as FactTable,
        naturalId: naturalId(spec),
        versionConstraint: spec.versionKey.name,
        surrogateKey: surrogateKey(spec),
        columns,
      };
  }
}

export const LOAD_TABLES = Object.fromEntries(
  Object.values(WAREHOUSE_SPECS).map((spec) => [spec.name, loadTableOf(spec)]),
) as Readonly<Record<WarehouseTable, LoadTable>>;

/** Dimensions (dim_date first) before facts: a fact's foreign keys always find their rows. */
export const LOAD_ORDER: readonly WarehouseTable[] = [...DIMENSION_TABLES, ...FACT_TABLES];
