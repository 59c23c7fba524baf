/**
 * Exact Parquet for the lake: write with hyparquet-writer against an explicit schema, read with
 * hyparquet back into exact JS values. No value ever passes through a binary float.
 *
 * Value representation on both sides (the same as the ingestion JSON):
 *   int32     → number            utf8    → string            boolean → boolean
 *   date      → 'YYYY-MM-DD'      time    → 'HH:MM:SS.mmm'    timestamp → 'YYYY-MM-DD HH:MM:SS.mmm'
 *   decimal   → decimal string ('2.57'; the reader returns the file's scale: '2.570' in a
 *               scale-3 file — numerically equal; see `resolveDecimalScales`)
 *   null      → null (only in optional columns)
 *
 * Physical layout: DATE = INT32 days; TIME = INT32 ms since midnight, logical TIME(MILLIS,
 * not UTC-adjusted); TIMESTAMP = INT64 ms, logical TIMESTAMP(MILLIS, not UTC-adjusted: wall-clock,
 * so readers such as DuckDB show TIMESTAMP, not TIMESTAMPTZ); DECIMAL(p,s) as scaled integers in
 * INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY (p ≤ 38, 16 bytes).
 *
 * hyparquet converts DECIMAL to a JS number when reading (lossy beyond 2^53 and for many
 * fractions), so the reader strips the decimal annotation from its in-memory copy of the footer,
 * receives the raw scaled integers and formats them itself.
 */

import type { FileMetaData, SchemaElement } from 'hyparquet';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

export type ParquetColumnType =
  | { readonly kind: 'int32' }
  | { readonly kind: 'utf8' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'date' }
  | { readonly kind: 'time-millis' }
  | { readonly kind: 'timestamp-millis' }
  /** `scale: 'data'`: the largest scale present in the values written (unbounded numeric). */
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number | 'data' };

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
  readonly nullable: boolean;
}

export interface ParquetTableSchema {
  readonly name: string;
  readonly columns: readonly ParquetColumn[];
}

export type ParquetValue = string | number | boolean | null;
/** A row as an array aligned with the schema's columns. */
export type ParquetRow = readonly ParquetValue[];

export class ParquetValueError extends Error {
  override name = 'ParquetValueError';
}

export const DEFAULT_ROW_GROUP_SIZE = 20_000;
/** Precision of unbounded numerics (PostgreSQL `numeric` without a declared precision). */
export const UNBOUNDED_DECIMAL_PRECISION = 38;

const DAY_MS = 86_400_000;
const DECIMAL_PATTERN = /^(-)?(\d+)(?:\.(\d+))?$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^(\d{2}):(\d{2}):(\d{2})\.(\d{3})$/;
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/;

/** Fraction digits of a decimal string ('2.57' → 2, '10' → 0). */
export function decimalScale(value: string): number {
  if (!DECIMAL_PATTERN.test(value)) throw new ParquetValueError(`${JSON.stringify(value)} is not a decimal`);
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** Integer digits of a decimal string, leading zeros ignored ('0.29' → 0, '-123.4' → 3). */
function integerDigits(value: string): number {
  const start = value.startsWith('-') ? 1 : 0;
  const dot = value.indexOf('.');
  const whole = value.slice(start, dot < 0 ? value.length : dot).replace(/^0+/, '');
  return whole.length;
}

/** '12.3' at scale 3 → 12300n. Throws when the value would need rounding or exceeds the precision. */
export function decimalToScaledBigInt(value: string, scale: number, precision: number): bigint {
  const match = DECIMAL_PATTERN.exec(value);
  if (!match) throw new ParquetValueError(`${JSON.stringify(value)} is not a decimal`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) {
    throw new ParquetValueError(
      `${value} has ${fraction.length} decimals; DECIMAL(${precision},${scale}) would alter it`,
    );
  }
  const digits = `${whole}${fraction.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > precision) {
    throw new ParquetValueError(`${value} does not fit DECIMAL(${precision},${scale})`);
  }
  const unscaled = BigInt(digits);
  return sign ? -unscaled : unscaled;
}

/** 1234n at scale 2 → '12.34'; -5n at scale 2 → '-0.05'. */
export function scaledBigIntToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

const dayCache = new Map<string, number>();

export function dateToDays(value: string): number {
  const cached = dayCache.get(value);
  if (cached !== undefined) return cached;
  const match = DATE_PATTERN.exec(value);
  if (!match) throw new ParquetValueError(`${JSON.stringify(value)} is not a 'YYYY-MM-DD' date`);
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new ParquetValueError(`${value} is not a calendar date`);
  }
  // Dates repeat heavily within a unit; the cache is bounded.
  if (dayCache.size > 100_000) dayCache.clear();
  dayCache.set(value, ms / DAY_MS);
  return ms / DAY_MS;
}

export function daysToDate(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

export function timeToMillis(value: string): number {
  const match = TIME_PATTERN.exec(value);
  if (!match) throw new ParquetValueError(`${JSON.stringify(value)} is not an 'HH:MM:SS.mmm' time`);
  const [h, m, s, ms] = [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4])];
  if (h > 23 || m > 59 || s > 59) throw new ParquetValueError(`${value} is not a time of day`);
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

export function millisToTime(millis: number): string {
  return new Date(millis).toISOString().slice(11, 23);
}

export function timestampToMillis(value: string): bigint {
  const match = TIMESTAMP_PATTERN.exec(value);
  if (!match)
    throw new ParquetValueError(`${JSON.stringify(value)} is not a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp`);
  const ms = Date.UTC(
    Number(match[1]),
    Number(match[2]) - 1,
    Number(match[3]),
    Number(match[4]),
    Number(match[5]),
    Number(match[6]),
    Number(match[7]),
  );
  // The day must exist (Date.UTC would roll 2023-02-30 over) and the clock be in range.
  if (
    Number.isNaN(ms) ||
    Number(match[4]) > 23 ||
    Number(match[5]) > 59 ||
    Number(match[6]) > 59 ||
    dateToDays(value.slice(0, 10)) !== Math.floor(ms / DAY_MS)
  ) {
    throw new ParquetValueError(`${value} is not a valid timestamp`);
  }
  return BigInt(ms);
}

export function millisToTimestamp(millis: bigint | number): string {
  return new Date(Number(millis)).toISOString().slice(0, 23).replace('T', ' ');
}

type ResolvedType =
  | Exclude<ParquetColumnType, { kind: 'decimal' }>
  | {
      readonly kind: 'decimal';
      readonly precision: number;
      readonly scale: number;
    };

export interface ResolvedColumn {
  readonly name: string;
  readonly type: ResolvedType;
  readonly nullable: boolean;
}

/**
 * Fixes `scale: 'data'` columns (unbounded numerics) to the largest scale present in `rows`
 * (0 if none), so that no value is altered, and their precision to 18 when every value fits
 * (INT64, fast to encode) or else the declared maximum (38: FIXED_LEN_BYTE_ARRAY). A value too
 * large for the maximum fails when it is encoded.
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
        scale = Math.max(scale, decimalScale(value));
        digits = Math.max(digits, integerDigits(value));
      }
    }
    const precision = Math.min(type.precision, Math.max(18, digits + scale)) <= 18 ? 18 : type.precision;
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

function encodeColumn(column: ResolvedColumn, values: ParquetValue[]): unknown[] {
  const { type } = column;
  const check = (value: ParquetValue, expected: string): never => {
    throw new ParquetValueError(
      `column ${column.name}: ${JSON.stringify(value)} is not ${expected}${value === null ? ' (the column is required)' : ''}`,
    );
  };
  return values.map((value) => {
    if (value === null || value === undefined) {
      if (!column.nullable) check(null, 'a value');
      return null;
    }
    try {
      switch (type.kind) {
        case 'int32':
          if (
            typeof value !== 'number' ||
            !Number.isInteger(value) ||
            value < -2147483648 ||
            value > 2147483647
          ) {
            return check(value, 'a 32-bit integer');
          }
          return value;
        case 'utf8':
          return typeof value === 'string' ? value : check(value, 'a string');
        case 'boolean':
          return typeof value === 'boolean' ? value : check(value, 'a boolean');
        case 'date':
          return typeof value === 'string' ? dateToDays(value) : check(value, 'a date string');
        case 'time-millis':
          return typeof value === 'string' ? timeToMillis(value) : check(value, 'a time string');
        case 'timestamp-millis':
          return typeof value === 'string' ? timestampToMillis(value) : check(value, 'a timestamp string');
        case 'decimal':
          return typeof value === 'string'
            ? decimalToScaledBigInt(value, type.scale, type.precision)
            : check(value, 'a decimal string');
        default:
          return check(value, 'a supported type');
      }
    } catch (error) {
      if (error instanceof ParquetValueError && !error.message.startsWith('column ')) {
        throw new ParquetValueError(`column ${column.name}: ${error.message}`);
      }
      throw error;
    }
  });
}

export interface ParquetFileWriter {
  readonly columns: readonly ResolvedColumn[];
  /** Encodes `rows` as one or more row groups (at most `rowGroupSize` rows each). */
  write(rows: readonly ParquetRow[]): void;
  /** Writes the footer and returns the whole file. */
  finish(): Uint8Array;
  readonly rowCount: number;
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
        const group = rows.slice(start, start + rowGroupSize);
        for (const row of group) {
          if (row.length !== columns.length) {
            throw new ParquetValueError(
              `a row has ${row.length} values; the schema has ${columns.length} columns`,
            );
          }
        }
        const columnData = columns.map((column, index) => ({
          name: column.name,
          data: encodeColumn(
            column,
            group.map((row) => row[index] as ParquetValue),
          ) as never[],
          nullable: column.nullable,
        }));
        parquet.write({ columnData, rowGroupSize: group.length });
        rowCount += group.length;
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

// ---------------------------------------------------------------------------------------------
// Reading

export interface ReadColumn {
  readonly name: string;
  readonly type: ResolvedType;
  readonly nullable: boolean;
}

export interface ParquetReadResult {
  readonly columns: readonly ReadColumn[];
  readonly rowCount: number;
  /** Rows keyed by column name, values exact (see the module comment). */
  readonly rows: Record<string, ParquetValue>[];
}

function toArrayBuffer(buffer: Uint8Array | ArrayBuffer): ArrayBuffer {
  if (buffer instanceof ArrayBuffer) return buffer;
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

function columnTypeOf(element: SchemaElement): ResolvedType {
  const logical = element.logical_type;
  if (element.converted_type === 'DECIMAL' || logical?.type === 'DECIMAL') {
    return { kind: 'decimal', precision: element.precision ?? 0, scale: element.scale ?? 0 };
  }
  if (element.converted_type === 'DATE' || logical?.type === 'DATE') return { kind: 'date' };
  if (logical?.type === 'TIME' || element.converted_type === 'TIME_MILLIS') {
    if (logical?.type === 'TIME' && logical.unit !== 'MILLIS') {
      throw new ParquetValueError(`column ${element.name}: TIME unit ${logical.unit} is not supported`);
    }
    return { kind: 'time-millis' };
  }
  if (logical?.type === 'TIMESTAMP' || element.converted_type === 'TIMESTAMP_MILLIS') {
    if (logical?.type === 'TIMESTAMP' && logical.unit !== 'MILLIS') {
      throw new ParquetValueError(`column ${element.name}: TIMESTAMP unit ${logical.unit} is not supported`);
    }
    return { kind: 'timestamp-millis' };
  }
  if (element.converted_type === 'UTF8' || logical?.type === 'STRING') return { kind: 'utf8' };
  if (element.type === 'BOOLEAN') return { kind: 'boolean' };
  if (element.type === 'INT32') return { kind: 'int32' };
  throw new ParquetValueError(`column ${element.name}: unsupported Parquet type ${element.type}`);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) value -= 1n << bits;
  return value;
}

function decodeValue(type: ResolvedType, raw: unknown): ParquetValue {
  if (raw === null || raw === undefined) return null;
  switch (type.kind) {
    case 'decimal': {
      const unscaled =
        raw instanceof Uint8Array
          ? bytesToBigInt(raw)
          : typeof raw === 'bigint'
            ? raw
            : BigInt(raw as number);
      return scaledBigIntToDecimal(unscaled, type.scale);
    }
    case 'time-millis':
      return millisToTime(Number(raw));
    case 'int32':
      return Number(raw);
    default:
      // date / timestamp are formatted by the parsers below; utf8 and boolean come through as is.
      return raw as ParquetValue;
  }
}

/** The file's columns as this module understands them (for checks against the warehouse DDL). */
export function parquetColumns(buffer: Uint8Array | ArrayBuffer): ReadColumn[] {
  const metadata = parquetMetadata(toArrayBuffer(buffer));
  return metadata.schema.slice(1).map((element) => ({
    name: element.name,
    type: columnTypeOf(element),
    nullable: element.repetition_type !== 'REQUIRED',
  }));
}

/**
 * Reads rows `[rowStart, rowEnd)` (default: all) with exact values. Read a large file in slices
 * (`iterateParquet`) to bound memory.
 */
export async function readParquet(
  buffer: Uint8Array | ArrayBuffer,
  options: { readonly rowStart?: number; readonly rowEnd?: number } = {},
): Promise<ParquetReadResult> {
  const file = toArrayBuffer(buffer);
  const metadata = parquetMetadata(file);
  const elements = metadata.schema.slice(1);
  if (elements.some((e) => (e.num_children ?? 0) > 0)) {
    throw new ParquetValueError('nested Parquet schemas are not supported');
  }
  const columns: ReadColumn[] = elements.map((element) => ({
    name: element.name,
    type: columnTypeOf(element),
    nullable: element.repetition_type !== 'REQUIRED',
  }));
  // A footer copy without the DECIMAL annotation: hyparquet then hands over the raw scaled integers.
  const rawMetadata: FileMetaData = {
    ...metadata,
    schema: metadata.schema.map((element) =>
      element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL'
        ? { ...element, converted_type: undefined, logical_type: undefined }
        : element,
    ),
  };
  const rows = (await parquetReadObjects({
    file,
    metadata: rawMetadata,
    rowStart: options.rowStart,
    rowEnd: options.rowEnd,
    parsers: {
      dateFromDays: (days: number) => daysToDate(days),
      timestampFromMilliseconds: (millis: bigint) => millisToTimestamp(millis) as unknown as Date,
    } as never,
  })) as Record<string, unknown>[];
  const decoded = rows.map((row) => {
    const out: Record<string, ParquetValue> = {};
    for (const column of columns) out[column.name] = decodeValue(column.type, row[column.name]);
    return out;
  });
  return { columns, rowCount: Number(metadata.num_rows), rows: decoded };
}

/** Reads a file in slices of `batchRows` rows (memory bounded by the slice). */
export async function* iterateParquet(
  buffer: Uint8Array | ArrayBuffer,
  options: { readonly batchRows?: number } = {},
): AsyncGenerator<ParquetReadResult> {
  const file = toArrayBuffer(buffer);
  const total = Number(parquetMetadata(file).num_rows);
  const batch = options.batchRows ?? DEFAULT_ROW_GROUP_SIZE;
  for (let start = 0; start < total; start += batch) {
    yield await readParquet(file, { rowStart: start, rowEnd: Math.min(total, start + batch) });
  }
}
