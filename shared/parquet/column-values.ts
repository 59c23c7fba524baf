/**
 * One column of a row group, checked and turned into its Parquet physical values in one pass over
 * the rows: INT32 numbers in an Int32Array, INT64 as exact JS integers (or bigints beyond 2^53),
 * strings as they are (UTF-8 is written by ./plain.ts), booleans, DECIMAL(p ≤ 38) as 16-byte
 * two's-complement. Nulls are left out of the values and marked in the definition levels.
 */
import { isInt32 } from '../schema/value-kinds.ts';
import { ParquetValueError } from './errors.ts';
import type { ParquetRow, ResolvedColumn } from './types.ts';
import { dateToDays, decimalToScaled, timestampMillis, timeToMillis } from './values.ts';

/** The physical representation a column's values take (see ./writer.ts `decimalPhysical`). */
export type PhysicalValues =
  | { readonly type: 'INT32'; readonly values: Int32Array }
  | { readonly type: 'INT64'; readonly values: readonly (number | bigint)[] }
  | { readonly type: 'BYTE_ARRAY'; readonly values: readonly string[] }
  | { readonly type: 'BOOLEAN'; readonly values: readonly boolean[] }
  | { readonly type: 'FIXED_LEN_BYTE_ARRAY'; readonly values: readonly (number | bigint)[] };

export interface ColumnValues {
  readonly physical: PhysicalValues;
  /** 1 = value present, 0 = null, one per row; undefined for a required column. */
  readonly definitionLevels: Uint8Array | undefined;
  readonly nullCount: number;
  readonly rowCount: number;
}

const refuse = (value: unknown, expected: string): never => {
  throw new ParquetValueError(`${JSON.stringify(value)} is not ${expected}`);
};

type Convert<T> = (value: string | number | boolean) => T;

function int32Of(column: ResolvedColumn): Convert<number> | undefined {
  const { type } = column;
  switch (type.kind) {
    case 'int32':
      return (value) => (isInt32(value) ? value : refuse(value, 'a 32-bit integer'));
    case 'date':
      return (value) => (typeof value === 'string' ? dateToDays(value) : refuse(value, 'a date string'));
    case 'time-millis':
      return (value) => (typeof value === 'string' ? timeToMillis(value) : refuse(value, 'a time string'));
    case 'decimal':
      if (type.precision > 9) return undefined;
      return (value) =>
        typeof value === 'string'
          ? (decimalToScaled(value, type.scale, type.precision) as number)
          : refuse(value, 'a decimal string');
    default:
      return undefined;
  }
}

/** Converts column `index` of `rows[start, end)`; throws a ParquetValueError naming the column. */
export function columnValues(
  column: ResolvedColumn,
  index: number,
  rows: readonly ParquetRow[],
  start: number,
  end: number,
): ColumnValues {
  try {
    return convert(column, index, rows, start, end);
  } catch (error) {
    if (error instanceof ParquetValueError && !error.message.startsWith('column ')) {
      throw new ParquetValueError(`column ${column.name}: ${error.message}`);
    }
    throw error;
  }
}

function convert(
  column: ResolvedColumn,
  index: number,
  rows: readonly ParquetRow[],
  start: number,
  end: number,
): ColumnValues {
  const rowCount = end - start;
  const levels = column.nullable ? new Uint8Array(rowCount) : undefined;
  let nullCount = 0;
  /** Visits every non-null value in order (marking the definition levels), refusing a null in a required column. */
  const each = (visit: (value: string | number | boolean) => void): void => {
    for (let r = start; r < end; r++) {
      const value = rows[r]![index];
      if (value === null || value === undefined) {
        if (!levels) throw new ParquetValueError('null is not a value (the column is required)');
        nullCount++;
      } else {
        if (levels) levels[r - start] = 1;
        visit(value);
      }
    }
  };
  const done = (physical: PhysicalValues): ColumnValues => ({
    physical,
    definitionLevels: levels,
    nullCount,
    rowCount,
  });

  const toInt32 = int32Of(column);
  if (toInt32) {
    const out = new Int32Array(rowCount);
    let n = 0;
    each((value) => {
      out[n++] = toInt32(value);
    });
    return done({ type: 'INT32', values: out.subarray(0, n) });
  }
  const { type } = column;
  switch (type.kind) {
    case 'utf8': {
      const out: string[] = [];
      each((value) => {
        out.push(typeof value === 'string' ? value : refuse(value, 'a string'));
      });
      return done({ type: 'BYTE_ARRAY', values: out });
    }
    case 'boolean': {
      const out: boolean[] = [];
      each((value) => {
        out.push(typeof value === 'boolean' ? value : refuse(value, 'a boolean'));
      });
      return done({ type: 'BOOLEAN', values: out });
    }
    case 'timestamp-millis': {
      const out: number[] = [];
      each((value) => {
        out.push(typeof value === 'string' ? timestampMillis(value) : refuse(value, 'a timestamp string'));
      });
      return done({ type: 'INT64', values: out });
    }
    case 'decimal': {
      const out: (number | bigint)[] = [];
      const { scale, precision } = type;
      each((value) => {
        out.push(
          typeof value === 'string'
            ? decimalToScaled(value, scale, precision)
            : refuse(value, 'a decimal string'),
        );
      });
      return done({ type: precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY', values: out });
    }
    default:
      throw new ParquetValueError(`type ${type.kind} is not supported`);
  }
}
