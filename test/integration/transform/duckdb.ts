/** DuckDB as an independent Parquet reader for the tests: column types and values as text. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface DuckDbView {
  readonly types: Record<string, string>;
  /** Rows with every value as DuckDB renders it in SQL (times and timestamps with milliseconds). */
  readonly rows: Record<string, string | boolean | number | null>[];
}

export async function readWithDuckDb(buffer: Uint8Array): Promise<DuckDbView> {
  const dir = mkdtempSync(join(tmpdir(), 'totes-duckdb-'));
  const file = join(dir, 'file.parquet');
  writeFileSync(file, buffer);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const path = file.replace(/'/g, "''");
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const types: Record<string, string> = {};
    for (const r of described.getRowObjects()) types[String(r.column_name)] = String(r.column_type);
    const select = Object.entries(types)
      .map(([name, type]) => {
        const q = `"${name.replace(/"/g, '""')}"`;
        if (type === 'TIME') return `strftime(DATE '2000-01-01' + ${q}, '%H:%M:%S.%g') AS ${q}`;
        if (type === 'TIMESTAMP') return `strftime(${q}, '%Y-%m-%d %H:%M:%S.%g') AS ${q}`;
        if (type === 'DATE' || type.startsWith('DECIMAL')) return `CAST(${q} AS VARCHAR) AS ${q}`;
        return q;
      })
      .join(', ');
    const result = await connection.runAndReadAll(`SELECT ${select} FROM read_parquet('${path}')`);
    const rows = result.getRowObjects().map((r) => {
      const out: Record<string, string | boolean | number | null> = {};
      for (const [k, v] of Object.entries(r)) out[k] = v === null ? null : (v as string | boolean | number);
      return out;
    });
    return { types, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
