/**
 * Reads Parquet with hyparquet into exact JS values. hyparquet converts DECIMAL to a JS number
 * (lossy beyond 2^53 and for many fractions), so the reader strips the decimal annotation from its
 * in-memory copy of the footer, receives the raw scaled integers and formats them itself.
 * hyparquet decompresses SNAPPY (files written before ZSTD) by itself; ZSTD pages, what the
 * writer writes now, go through Node's native zstd (./zstd.ts).
 */
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ParquetValueError } from './errors.ts';
import {
  DEFAULT_ROW_GROUP_SIZE,
  type ParquetReadResult,
  type ParquetValue,
  type ReadColumn,
  type ResolvedType,
} from './types.ts';
import { daysToDate, millisToTime, millisToTimestamp, scaledBigIntToDecimal } from './values.ts';
import { zstdDecompress } from './zstd.ts';

const COMPRESSORS = { ZSTD: zstdDecompress };

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
    compressors: COMPRESSORS,
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
