import { DuckDBInstance } from '@duckdb/node-api';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../../../../shared/schema/totesys.ts';
import { WAREHOUSE_TABLES, type WarehouseTable } from '../../../../shared/schema/warehouse.ts';
import { readLakeCatalog } from './catalog.ts';
import type { LakeFiles } from './lake-files.ts';
import {
  INGESTION_SCHEMA,
  ingestionView,
  quoteIdentifier,
  RAW_SCHEMA,
  rawWarehouseView,
  warehouseView,
} from './views.ts';

export interface QueryResult {
  readonly columns: readonly string[];
  /** JSON-safe values: decimals, dates, times and timestamps as strings, exactly as DuckDB prints them. */
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

/** The tables a statement names, so that on AWS only their objects are downloaded. */
export function referencedTables(statement: string): {
  warehouse: WarehouseTable[];
  ingestion: SourceTableName[];
} {
  const text = statement.toLowerCase();
  const word = (name: string) => new RegExp(`(^|[^a-z0-9_])"?${name}"?($|[^a-z0-9_])`).test(text);
  return {
    warehouse: WAREHOUSE_TABLES.filter(word),
    ingestion: SOURCE_TABLE_NAMES.filter((t) =>
      new RegExp(`${INGESTION_SCHEMA}\\s*\\.\\s*"?${t}"?($|[^a-z0-9_])`).test(text),
    ),
  };
}

export interface RunQueryOptions {
  readonly files: LakeFiles;
  readonly buckets: { readonly ingestion: string; readonly processed: string };
  /** Fetch and declare only the tables the statement names (AWS: saves downloads). */
  readonly onlyReferenced: boolean;
}

/**
 * Runs one SQL statement in an in-memory DuckDB whose views read the lake's files: `<table>` per
 * warehouse table (as the warehouse holds it), `raw.<table>` (every row of every file) and
 * `ingestion.<source table>`. Tables with no data in the lake have no view.
 */
export async function runLakeQuery(statement: string, options: RunQueryOptions): Promise<QueryResult> {
  const catalog = await readLakeCatalog(options.files, options.buckets);
  const wanted = options.onlyReferenced
    ? referencedTables(statement)
    : { warehouse: [...WAREHOUSE_TABLES], ingestion: [...SOURCE_TABLE_NAMES] };
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE SCHEMA ${RAW_SCHEMA}`);
    await connection.run(`CREATE SCHEMA ${INGESTION_SCHEMA}`);
    const declared: string[] = [];
    for (const table of wanted.warehouse) {
      const keys = catalog.processed.get(table) ?? [];
      if (keys.length === 0) continue;
      const paths = await Promise.all(keys.map((k) => options.files.localPath(options.buckets.processed, k)));
      await connection.run(rawWarehouseView(table, paths));
      const described = await connection.runAndReadAll(
        `DESCRIBE SELECT * FROM ${RAW_SCHEMA}.${quoteIdentifier(table)}`,
      );
      const idColumn = String(described.getRowObjects()[0]?.column_name);
      await connection.run(warehouseView(table, idColumn));
      declared.push(table);
    }
    for (const table of wanted.ingestion) {
      const keys = catalog.ingestion.get(table) ?? [];
      if (keys.length === 0) continue;
      const paths = await Promise.all(keys.map((k) => options.files.localPath(options.buckets.ingestion, k)));
      await connection.run(ingestionView(table, paths));
      declared.push(`${INGESTION_SCHEMA}.${table}`);
    }
    let reader: Awaited<ReturnType<typeof connection.runAndReadAll>>;
    try {
      reader = await connection.runAndReadAll(statement);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const known = declared.length > 0 ? declared.join(', ') : 'none (the lake holds no finished unit)';
      throw new QueryError(
        /does not exist/.test(message)
          ? `${message.split('\n')[0]} (views over the lake: ${known})`
          : (message.split('\n')[0] ?? message),
      );
    }
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
