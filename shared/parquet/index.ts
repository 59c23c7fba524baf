/**
 * Exact Parquet for the lake: write against an explicit schema (pages encoded here, the Thrift
 * footer from hyparquet-writer, pages compressed by Node's native zstd), read with hyparquet back
 * into exact JS values.
 * No value ever passes through a binary float.
 *
 * Value representation on both sides (the same as the ingestion JSON):
 *   int32     → number            utf8    → string            boolean → boolean
 *   date      → 'YYYY-MM-DD'      time    → 'HH:MM:SS.mmm'    timestamp → 'YYYY-MM-DD HH:MM:SS.mmm'
 *   decimal   → decimal string ('2.57'; the reader returns the file's scale: '2.570' in a
 *               scale-3 file — numerically equal; see `resolveDecimalScales`)
 *   null      → null (only in optional columns)
 * The writer also takes date, time and timestamp as their physical numbers (days since 1970, ms
 * since midnight, ms since 1970): the transform computes them once from the source timestamp
 * instead of building a string the encoder would parse again. The reader always returns text.
 *
 * Physical layout: DATE = INT32 days; TIME = INT32 ms since midnight, logical TIME(MILLIS,
 * not UTC-adjusted); TIMESTAMP = INT64 ms, logical TIMESTAMP(MILLIS, not UTC-adjusted: wall-clock,
 * so readers such as DuckDB show TIMESTAMP, not TIMESTAMPTZ); DECIMAL(p,s) as scaled integers in
 * INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY (p ≤ 38, 16 bytes); an unbounded numeric
 * whose file holds a value beyond 38 digits is UTF8 decimal text in that file. Dates of
 * years 0001–9999 by calendar arithmetic (value-kinds), never Date.UTC.
 *
 * Files by concern (as Powertools splits a package; README.md has the table): types.ts, errors.ts,
 * values.ts (exact encodings of the value kinds in shared/schema/value-kinds.ts), writer.ts (file
 * frame, row groups, footer), column-values.ts, dictionary.ts, plain.ts, column-chunk.ts (the page
 * encoder), zstd.ts (page compression), reader.ts.
 */

export { ParquetValueError } from './errors.ts';
export { iterateParquet, parquetColumns, readParquet } from './reader.ts';
export * from './types.ts';
export {
  dateToDays,
  daysToDate,
  decimalScale,
  decimalToScaled,
  millisToTime,
  millisToTimestamp,
  scaledBigIntToDecimal,
  timestampMillis,
  timeToMillis,
} from './values.ts';
export {
  createParquetWriter,
  parquetSchema,
  resolveDecimalScales,
  writeParquet,
} from './writer.ts';
