/**
 * The Thrift (TCompactProtocol) PageHeader of the two pages this encoder writes, a dictionary page
 * and a DATA_PAGE_V2, serialized directly: the same bytes as hyparquet-writer's `writePageHeader`,
 * which builds an object of `field_N` keys per header and walks it with Object.entries, a regex
 * and parseInt per field (a tenth of the page-writing time on the scale-10 unit, with the footer).
 * Field ids and types are from parquet.thrift (PageHeader, DictionaryPageHeader, DataPageHeaderV2).
 */
import type { ByteWriter } from 'hyparquet-writer';

// Compact protocol field types.
const TYPE_FALSE = 2;
const TYPE_I32 = 5;
const TYPE_STRUCT = 12;
const STOP = 0;

// parquet.thrift enums (PageType, Encoding).
const DICTIONARY_PAGE = 2;
const DATA_PAGE_V2 = 3;
const ENCODING = { PLAIN: 0, RLE_DICTIONARY: 8 } as const;

export type PageEncoding = keyof typeof ENCODING;

/** A header is at most a few dozen bytes: field headers and i32 varints. */
const scratch = new Uint8Array(128);

/** Appends a field header (id delta ≤ 15 from the previous field) and, for an i32, its value. */
function i32Field(at: number, delta: number, value: number): number {
  scratch[at++] = (delta << 4) | TYPE_I32;
  let v = (value << 1) ^ (value >> 31); // zigzag
  while ((v & ~0x7f) !== 0) {
    scratch[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  scratch[at++] = v;
  return at;
}

function pageStart(type: number, uncompressedSize: number, compressedSize: number): number {
  let at = i32Field(0, 1, type);
  at = i32Field(at, 1, uncompressedSize);
  return i32Field(at, 1, compressedSize);
}

/** PageHeader { 1 type, 2 uncompressed, 3 compressed, 7 DictionaryPageHeader { 1 count, 2 PLAIN } }. */
export function writeDictionaryPageHeader(
  file: ByteWriter,
  uncompressedSize: number,
  compressedSize: number,
  numValues: number,
): void {
  let at = pageStart(DICTIONARY_PAGE, uncompressedSize, compressedSize);
  scratch[at++] = (4 << 4) | TYPE_STRUCT; // field 7
  at = i32Field(at, 1, numValues);
  at = i32Field(at, 1, ENCODING.PLAIN);
  scratch[at++] = STOP;
  scratch[at++] = STOP;
  file.appendBytes(scratch.subarray(0, at));
}

export interface DataPageV2 {
  readonly numValues: number;
  readonly numNulls: number;
  readonly numRows: number;
  readonly encoding: PageEncoding;
  readonly definitionLevelsByteLength: number;
  readonly isCompressed: boolean;
}

/**
 * PageHeader { 1 type, 2 uncompressed, 3 compressed, 8 DataPageHeaderV2 { 1 values, 2 nulls,
 * 3 rows, 4 encoding, 5 definition levels bytes, 6 repetition levels bytes (0), 7 is_compressed
 * only when false (its default is true) } }.
 */
export function writeDataPageV2Header(
  file: ByteWriter,
  uncompressedSize: number,
  compressedSize: number,
  page: DataPageV2,
): void {
  let at = pageStart(DATA_PAGE_V2, uncompressedSize, compressedSize);
  scratch[at++] = (5 << 4) | TYPE_STRUCT; // field 8
  at = i32Field(at, 1, page.numValues);
  at = i32Field(at, 1, page.numNulls);
  at = i32Field(at, 1, page.numRows);
  at = i32Field(at, 1, ENCODING[page.encoding]);
  at = i32Field(at, 1, page.definitionLevelsByteLength);
  at = i32Field(at, 1, 0);
  if (!page.isCompressed) scratch[at++] = (1 << 4) | TYPE_FALSE;
  scratch[at++] = STOP;
  scratch[at++] = STOP;
  file.appendBytes(scratch.subarray(0, at));
}
