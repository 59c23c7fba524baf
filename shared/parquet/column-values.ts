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

// Bounds of the numbers a date/time/timestamp may be given as: years 0001–9999 as the text forms.
const MIN_DAYS = -719_162; // 0001-01-01
const MAX_DAYS = 2_932_896; // 9999-12-31
const DAY_MS = 86_400_000;
const isDays = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= MIN_DAYS && (value as number) <= MAX_DAYS;
const isTimeMillis = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) < DAY_MS;
const isTimestampMillis = (value: unknown): value is number =>
  Number.isInteger(value) &&
  (value as number) >= MIN_DAYS * DAY_MS &&
  (value as number) < (MAX_DAYS + 1) * DAY_MS;

/** Marks a null: counted when the column is nullable, refused when it is required. */
function nullAt(levels: Uint8Array | undefined, nullCount: number): number {
  if (!levels) throw new ParquetValueError('null is not a value (the column is required)');
  return nullCount + 1;
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

/**
 * One loop per physical kind, each with its conversion written inline: the earlier shape (a shared
 * `each(visit)` and a converter closure per kind) made the per-value calls megamorphic across the
 * columns of a file, about a fifth of the Parquet encoding's CPU at scale 10.
 */
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
  const done = (physical: PhysicalValues): ColumnValues => ({
    physical,
    definitionLevels: levels,
    nullCount,
    rowCount,
  });
  const { type } = column;
  switch (type.kind) {
    case 'int32': {
      const out = new Int32Array(rowCount);
      let n = 0;
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out[n++] = isInt32(value) ? value : refuse(value, 'a 32-bit integer');
      }
      return done({ type: 'INT32', values: out.subarray(0, n) });
    }
    case 'date': {
      const out = new Int32Array(rowCount);
      let n = 0;
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out[n++] =
          typeof value === 'string'
            ? dateToDays(value)
            : isDays(value)
              ? value
              : refuse(value, 'a date string or days since 1970');
      }
      return done({ type: 'INT32', values: out.subarray(0, n) });
    }
    case 'time-millis': {
      const out = new Int32Array(rowCount);
      let n = 0;
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out[n++] =
          typeof value === 'string'
            ? timeToMillis(value)
            : isTimeMillis(value)
              ? value
              : refuse(value, 'a time string or ms since midnight');
      }
      return done({ type: 'INT32', values: out.subarray(0, n) });
    }
    case 'utf8': {
      const out: string[] = [];
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out.push(typeof value === 'string' ? value : refuse(value, 'a string'));
      }
      return done({ type: 'BYTE_ARRAY', values: out });
    }
    case 'boolean': {
      const out: boolean[] = [];
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out.push(typeof value === 'boolean' ? value : refuse(value, 'a boolean'));
      }
      return done({ type: 'BOOLEAN', values: out });
    }
    case 'timestamp-millis': {
      const out: number[] = [];
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out.push(
          typeof value === 'string'
            ? timestampMillis(value)
            : isTimestampMillis(value)
              ? value
              : refuse(value, 'a timestamp string or ms since 1970'),
        );
      }
      return done({ type: 'INT64', values: out });
    }
    case 'decimal': {
      const { scale, precision } = type;
      if (precision <= 9) {
        const out = new Int32Array(rowCount);
        let n = 0;
        for (let r = start; r < end; r++) {
          const value = rows[r]![index];
          if (value === null || value === undefined) {
            nullCount = nullAt(levels, nullCount);
            continue;
          }
          if (levels) levels[r - start] = 1;
          out[n++] =
            typeof value === 'string'
              ? (decimalToScaled(value, scale, precision) as number)
              : refuse(value, 'a decimal string');
        }
        return done({ type: 'INT32', values: out.subarray(0, n) });
      }
      const out: (number | bigint)[] = [];
      for (let r = start; r < end; r++) {
        const value = rows[r]![index];
        if (value === null || value === undefined) {
          nullCount = nullAt(levels, nullCount);
          continue;
        }
        if (levels) levels[r - start] = 1;
        out.push(
          typeof value === 'string'
            ? decimalToScaled(value, scale, precision)
            : refuse(value, 'a decimal string'),
        );
      }
      return done({ type: precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY', values: out });
    }
    default:
      throw new ParquetValueError(`type ${(type as { kind: string }).kind} is not supported`);
  }
}
