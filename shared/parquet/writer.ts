/**
 * Writes Parquet against an explicit schema; every value is checked and converted exactly by
 * ./column-values.ts (the value kinds of shared/schema/value-kinds.ts), the pages are written by
 * ./column-chunk.ts and the footer by hyparquet-writer.
 */
import type { ColumnChunk, RowGroup, SchemaElement } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { writeColumnChunk } from './column-chunk.ts';
import { columnValues } from './column-values.ts';
import { isDictionaryCandidate } from './dictionary.ts';
import { ParquetValueError } from './errors.ts';
import {
  DEFAULT_ROW_GROUP_SIZE,
  type ParquetFileWriter,
  type ParquetRow,
  type ParquetTableSchema,
  type ResolvedColumn,
} from './types.ts';
import { decimalShape } from './values.ts';

/** 'PAR1', little-endian: the first and last four bytes of every Parquet file. */
const PARQUET_MAGIC = 0x31524150;
const CREATED_BY = 'totes-pipeline (hyparquet-writer footer)';

/**
 * Fixes `scale: 'data'` columns (unbounded numerics) to the largest scale present in `rows`
 * (0 if none), so that no value is altered, and their precision to 18 when every value fits
 * (INT64, fast to encode) or else the declared maximum (38: FIXED_LEN_BYTE_ARRAY(16), the widest
 * DECIMAL that DuckDB and most readers take). A file holding a value of more than 38 significant
 * digits carries the column as UTF8 decimal text instead, exactly as written: a wider DECIMAL is
 * legal Parquet, but DuckDB (totes query, the tests' independent reader) reads one as a wrong
 * DOUBLE (1234567890123456789012345678901.234567891 came out as 8.9e46), while text reads exactly
 * everywhere and the load takes it as any decimal string.
 */
export function resolveDecimalScales(
  schema: ParquetTableSchema,
  rows: readonly ParquetRow[],
): ResolvedColumn[] {
  return schema.columns.map((column, index) => {
    const { type } = column;
    if (type.kind !== 'decimal' || type.scale !== 'data') return column as ResolvedColumn;
    let scale = 0;
    let digits = 1;
    for (const row of rows) {
      const value = row[index];
      if (typeof value === 'string') {
        const shape = decimalShape(value);
        scale = Math.max(scale, shape.scale);
        digits = Math.max(digits, shape.digits);
      }
    }
    const needed = digits + scale;
    if (needed > type.precision) return { ...column, type: { kind: 'utf8' } };
    const precision = needed <= 18 ? 18 : type.precision;
    return { ...column, type: { kind: 'decimal', precision, scale } };
  });
}

function decimalPhysical(precision: number): Pick<SchemaElement, 'type' | 'type_length'> {
  if (precision <= 9) return { type: 'INT32' };
  if (precision <= 18) return { type: 'INT64' };
  if (precision <= 38) return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16 };
  throw new ParquetValueError(`DECIMAL precision ${precision} is above 38`);
}

function schemaElement(column: ResolvedColumn): SchemaElement {
  const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED';
  const { type } = column;
  const name = column.name;
  switch (type.kind) {
    case 'int32':
      return { name, repetition_type, type: 'INT32' };
    case 'utf8':
      return {
        name,
        repetition_type,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      };
    case 'boolean':
      return { name, repetition_type, type: 'BOOLEAN' };
    case 'date':
      return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'time-millis':
      return {
        name,
        repetition_type,
        type: 'INT32',
        logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MILLIS' },
      };
    case 'timestamp-millis':
      return {
        name,
        repetition_type,
        type: 'INT64',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MILLIS' },
      };
    case 'decimal':
      if (type.scale > type.precision) {
        throw new ParquetValueError(
          `column ${name}: scale ${type.scale} exceeds precision ${type.precision}`,
        );
      }
      return {
        name,
        repetition_type,
        ...decimalPhysical(type.precision),
        converted_type: 'DECIMAL',
        precision: type.precision,
        scale: type.scale,
        logical_type: { type: 'DECIMAL', precision: type.precision, scale: type.scale },
      };
  }
}

/** The Parquet schema (footer) for resolved columns. */
export function parquetSchema(columns: readonly ResolvedColumn[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
}

/**
 * An incremental writer: callers hand rows over in batches (one row group at a time keeps memory
 * bounded by the row group, not the table); the encoded file is held compressed. Each column
 * chunk is written by ./column-chunk.ts, the footer by hyparquet-writer's `writeMetadata`.
 */
export function createParquetWriter(
  columns: readonly ResolvedColumn[],
  options: { readonly rowGroupSize?: number; readonly kvMetadata?: Record<string, string> } = {},
): ParquetFileWriter {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  const schema = parquetSchema(columns);
  const dictionaryCandidates = columns.map(isDictionaryCandidate);
  const kvMetadata = Object.entries(options.kvMetadata ?? {}).map(([key, value]) => ({ key, value }));
  const file = new ByteWriter();
  file.appendUint32(PARQUET_MAGIC);
  const rowGroups: RowGroup[] = [];
  let rowCount = 0;
  return {
    columns,
    get rowCount() {
      return rowCount;
    },
    write(rows) {
      for (let start = 0; start < rows.length; start += rowGroupSize) {
        const end = Math.min(rows.length, start + rowGroupSize);
        for (let r = start; r < end; r++) {
          const row = rows[r]!;
          if (row.length !== columns.length) {
            throw new ParquetValueError(
              `a row has ${row.length} values; the schema has ${columns.length} columns`,
            );
          }
        }
        const groupStart = file.offset;
        const chunks: ColumnChunk[] = columns.map((column, index) =>
          writeColumnChunk(
            file,
            column.name,
            columnValues(column, index, rows, start, end),
            dictionaryCandidates[index]!,
          ),
        );
        let uncompressed = 0n;
        for (const chunk of chunks) uncompressed += chunk.meta_data?.total_uncompressed_size ?? 0n;
        rowGroups.push({
          columns: chunks,
          total_byte_size: uncompressed,
          num_rows: BigInt(end - start),
          total_compressed_size: BigInt(file.offset - groupStart),
        });
        rowCount += end - start;
      }
    },
    finish() {
      const metadata = {
        version: 2,
        created_by: CREATED_BY,
        schema,
        num_rows: BigInt(rowCount),
        row_groups: rowGroups,
        key_value_metadata: kvMetadata,
      };
      writeMetadata(file, metadata as unknown as Parameters<typeof writeMetadata>[1]);
      file.appendUint32(PARQUET_MAGIC);
      return new Uint8Array(file.getBuffer());
    },
  };
}

/** Writes `rows` (resolving data-driven decimal scales first) and returns the file. */
export function writeParquet(
  schema: ParquetTableSchema,
  rows: readonly ParquetRow[],
  options: { readonly rowGroupSize?: number; readonly kvMetadata?: Record<string, string> } = {},
): { readonly buffer: Uint8Array; readonly columns: readonly ResolvedColumn[] } {
  const columns = resolveDecimalScales(schema, rows);
  const writer = createParquetWriter(columns, options);
  writer.write(rows);
  return { buffer: writer.finish(), columns };
}
