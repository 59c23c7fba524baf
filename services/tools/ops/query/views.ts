import {
  SOURCE_TABLES,
  type SourceColumnType,
  type SourceTableName,
} from '../../../../shared/schema/totesys.ts';
import { WAREHOUSE_SPECS } from '../../../../shared/schema/warehouse/index.ts';
import { SOURCE_VERSION } from '../../../../shared/schema/warehouse/lake.ts';
import type { WarehouseTable } from '../../../../shared/schema/warehouse.ts';

/**
 * DuckDB view definitions over lake files. DuckDB cannot take a view's file list or names as
 * bound parameters, so names and paths are quoted here, the one place that writes DuckDB text:
 * identifiers in double quotes, paths as string literals, each with its quote character doubled.
 */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const quoteLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const fileList = (files: readonly string[]): string => `[${files.map(quoteLiteral).join(', ')}]`;

/** The schema of the views that show every row of every file, with the file it came from. */
export const RAW_SCHEMA = 'raw';
/** The schema of the views over the ingestion bucket's JSON, one per source table. */
export const INGESTION_SCHEMA = 'ingestion';

/** `raw.<table>`: every row of the table's Parquet files, plus `filename`. */
export function rawWarehouseView(table: WarehouseTable, files: readonly string[]): string {
  return `CREATE VIEW ${RAW_SCHEMA}.${quoteIdentifier(table)} AS SELECT * FROM read_parquet(${fileList(files)}, union_by_name = true, filename = true)`;
}

/**
 * `<table>` as the warehouse holds it: a dimension's newest version per id (its first column),
 * without the version column; dim_date and the facts one row per distinct row (a fact version
 * that two units carried counts once, as the warehouse's unique key makes it).
 */
export function warehouseView(table: WarehouseTable, idColumn: string): string {
  const raw = `${RAW_SCHEMA}.${quoteIdentifier(table)}`;
  // Versioned dimensions carry SOURCE_VERSION in the lake (the table specs say which).
  if (WAREHOUSE_SPECS[table].role === 'dimension') {
    return `CREATE VIEW ${quoteIdentifier(table)} AS SELECT * EXCLUDE (filename, ${SOURCE_VERSION}, _newest) FROM (SELECT *, row_number() OVER (PARTITION BY ${quoteIdentifier(idColumn)} ORDER BY ${SOURCE_VERSION} DESC) AS _newest FROM ${raw}) WHERE _newest = 1`;
  }
  return `CREATE VIEW ${quoteIdentifier(table)} AS SELECT DISTINCT * EXCLUDE (filename) FROM ${raw}`;
}

const DUCKDB_TYPE: Record<SourceColumnType, string> = {
  int: 'INTEGER',
  varchar: 'VARCHAR',
  // The source's numeric is unbounded; 38 digits with 10 after the point holds every value the
  // pipeline has met (money has 2) and keeps sums exact.
  numeric: 'DECIMAL(38, 10)',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

/**
 * `ingestion.<table>`: every row of the table's ingestion objects (changed rows and the join
 * partners sent with them), typed by the source schema, plus the `_run_id` that wrote it.
 */
export function ingestionView(table: SourceTableName, files: readonly string[]): string {
  const columns = SOURCE_TABLES[table].columns.map(
    (c, i) => `CAST(r->>${i} AS ${DUCKDB_TYPE[c.type]}) AS ${quoteIdentifier(c.name)}`,
  );
  return `CREATE VIEW ${INGESTION_SCHEMA}.${quoteIdentifier(table)} AS SELECT ${columns.join(', ')}, _run_id FROM (SELECT runId AS _run_id, unnest(rows) AS r FROM read_json(${fileList(files)}, columns = {runId: 'VARCHAR', rows: 'JSON[]'}, format = 'auto'))`;
}
