/**
 * Writes Parquet with hyparquet-writer against an explicit schema; every value is checked and
 * encoded exactly by ./values.ts (the value kinds of shared/schema/value-kinds.ts).
 */
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { isInt32 } from '../schema/value-kinds.ts';
import { ParquetValueError } from './errors.ts';
import {
  DEFAULT_ROW_GROUP_SIZE,
  type ParquetFileWriter,
  type ParquetRow,
  type ParquetTableSchema,
  type ResolvedColumn,
} from './types.ts';
import {
  dateToDays,
  decimalShape,
  decimalToScaledBigInt,
  timestampToMillis,
  timeToMillis,
} from './values.ts';

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

type Encode = (value: string | number | boolean) => unknown;

/**
 * The encoder of one column's non-null values, chosen once per column (not per value): it checks
 * the value's kind and returns what hyparquet-writer takes, or throws a ParquetValueError.
 */
function encoderFor(column: ResolvedColumn): Encode {
  const { type } = column;
  const refuse = (value: unknown, expected: string): never => {
    throw new ParquetValueError(`column ${column.name}: ${JSON.stringify(value)} is not ${expected}`);
  };
  switch (type.kind) {
    case 'int32':
      return (value) => (isInt32(value) ? value : refuse(value, 'a 32-bit integer'));
    case 'utf8':
      return (value) => (typeof value === 'string' ? value : refuse(value, 'a string'));
    case 'boolean':
      return (value) => (typeof value === 'boolean' ? value : refuse(value, 'a boolean'));
    case 'date':
      return (value) => (typeof value === 'string' ? dateToDays(value) : refuse(value, 'a date string'));
    case 'time-millis':
      return (value) => (typeof value === 'string' ? timeToMillis(value) : refuse(value, 'a time string'));
    case 'timestamp-millis':
      return (value) =>
        typeof value === 'string' ? timestampToMillis(value) : refuse(value, 'a timestamp string');
    case 'decimal': {
      const { scale, precision } = type;
      return (value) =>
        typeof value === 'string'
          ? decimalToScaledBigInt(value, scale, precision)
          : refuse(value, 'a decimal string');
    }
    default:
      return (value) => refuse(value, 'a supported type');
  }
}

/**
 * The values of column `index` of `rows[start, end)`, encoded, in one pre-sized array (one pass,
 * no intermediate array per column).
 */
function encodeColumn(
  column: ResolvedColumn,
  index: number,
  rows: readonly ParquetRow[],
  start: number,
  end: number,
): unknown[] {
  const encode = encoderFor(column);
  const out: unknown[] = new Array(end - start);
  try {
    for (let r = start; r < end; r++) {
      const value = rows[r]![index];
      if (value === null || value === undefined) {
        if (!column.nullable) {
          throw new ParquetValueError(`column ${column.name}: null is not a value (the column is required)`);
        }
        out[r - start] = null;
      } else out[r - start] = encode(value);
    }
  } catch (error) {
    if (error instanceof ParquetValueError && !error.message.startsWith('column ')) {
      throw new ParquetValueError(`column ${column.name}: ${error.message}`);
    }
    throw error;
  }
  return out;
}

/**
 * An incremental writer: callers hand rows over in batches (one row group at a time keeps memory
 * bounded by the row group, not the table); the encoded file is held compressed.
 */
export function createParquetWriter(
  columns: readonly ResolvedColumn[],
  options: { readonly rowGroupSize?: number; readonly kvMetadata?: Record<string, string> } = {},
): ParquetFileWriter {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema(columns) as never,
    codec: 'SNAPPY',
    createdBy: 'totes-pipeline (hyparquet-writer)',
    kvMetadata: Object.entries(options.kvMetadata ?? {}).map(([key, value]) => ({ key, value })),
  });
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
        const columnData = columns.map((column, index) => ({
          name: column.name,
          data: encodeColumn(column, index, rows, start, end) as never[],
          nullable: column.nullable,
        }));
        parquet.write({ columnData, rowGroupSize: end - start });
        rowCount += end - start;
      }
    },
    finish() {
      parquet.finish();
      return new Uint8Array(writer.getBuffer());
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
