/**
 * Writes one column chunk of a row group: an optional dictionary page and one DATA_PAGE_V2
 * (definition levels RLE/bit-packed, uncompressed as V2 wants them; values PLAIN or
 * RLE_DICTIONARY, zstd-compressed by ./zstd.ts when that pays: see `chunkCodec`; levels and
 * indexes by ./rle.ts, page headers by ./page-header.ts); what this file
 * leaves out is what we measured to cost and no reader of ours uses: min/max statistics (only
 * null_count is kept), the dictionary trial of every column, and the per-value conversion copies.
 */
import type { ColumnChunk } from 'hyparquet';
import type { ByteWriter } from 'hyparquet-writer';

import type { ColumnValues } from './column-values.ts';
import { type Dictionary, dictionaryOf } from './dictionary.ts';
import { writeDataPageV2Header, writeDictionaryPageHeader } from './page-header.ts';
import { plainBytes } from './plain.ts';
import { rleBitPackedHybrid, rleRun } from './rle.ts';
import { zstdCompress } from './zstd.ts';

/** A chunk is written compressed only when zstd saves at least this share of its bytes. */
const MIN_SAVING = 0.1;
/** Pages at least this long are first tried on a sample: their first quarter, at most 8 KB. */
const MIN_SAMPLED_PAGE = 4096;
const MAX_SAMPLE_BYTES = 8192;

type Codec = 'ZSTD' | 'UNCOMPRESSED';

/**
 * ZSTD when it saves at least 10% of the chunk's page bytes, else UNCOMPRESSED (the codec is per
 * column chunk in Parquet; every reader of ours, hyparquet with ./zstd.ts and DuckDB, reads both).
 * A page of 4 KB or more is first tried on its first quarter (at most 8 KB): a serial id column
 * (PLAIN INT32, 4 bytes of a count) or bit-packed dictionary indexes never shrink. On the 28 files
 * of a scale-10 unit the samples decide as the whole pages do, and the 88 chunks that stay
 * UNCOMPRESSED (3.3 MB) cost about 3.7 ms of zstd through their samples against 12 ms whole.
 * Returns the compressed pages when ZSTD.
 */
function chunkCodec(pages: readonly Uint8Array[]): { codec: Codec; compressed: Uint8Array[] } {
  const largest = pages.reduce((a, b) => (b.length > a.length ? b : a));
  if (largest.length >= MIN_SAMPLED_PAGE) {
    const sampled = Math.min(MAX_SAMPLE_BYTES, largest.length >> 2);
    const sample = zstdCompress(largest.subarray(0, sampled)).length;
    if (sample > (1 - MIN_SAVING) * sampled) return { codec: 'UNCOMPRESSED', compressed: [] };
  }
  const compressed = pages.map(zstdCompress);
  let raw = 0;
  let packed = 0;
  for (let i = 0; i < pages.length; i++) {
    raw += pages[i]!.length;
    packed += compressed[i]!.length;
  }
  return packed <= (1 - MIN_SAVING) * raw
    ? { codec: 'ZSTD', compressed }
    : { codec: 'UNCOMPRESSED', compressed: [] };
}

/**
 * Appends one page (`writeHeader` given the page's compressed size; `stored`: the values as
 * written, compressed or not); returns its uncompressed size.
 */
function writePage(
  file: ByteWriter,
  writeHeader: (compressedSize: number) => void,
  levels: Uint8Array,
  values: Uint8Array,
  stored: Uint8Array,
): number {
  const headerStart = file.offset;
  writeHeader(levels.length + stored.length);
  const headerSize = file.offset - headerStart;
  if (levels.length > 0) file.appendBytes(levels);
  file.appendBytes(stored);
  return headerSize + levels.length + values.length;
}

function definitionLevels(values: ColumnValues): Uint8Array {
  const levels = values.definitionLevels;
  if (!levels) return new Uint8Array(0);
  // All present: one RLE run of 1s.
  return values.nullCount === 0 ? rleRun(1, values.rowCount, 1) : rleBitPackedHybrid(levels, 1);
}

function dictionaryIndexes(dictionary: Dictionary): Uint8Array {
  return rleBitPackedHybrid(dictionary.indexes, dictionary.bitWidth, [dictionary.bitWidth]);
}

/**
 * Appends the column chunk of `values` (column `path`) to `file` and returns its footer entry.
 * `useDictionary`: the column's kind is a dictionary candidate (./dictionary.ts).
 */
export function writeColumnChunk(
  file: ByteWriter,
  path: string,
  values: ColumnValues,
  useDictionary: boolean,
): ColumnChunk {
  const chunkStart = file.offset;
  const { physical } = values;
  let uncompressed = 0;
  let dictionaryPageOffset: bigint | undefined;
  const dictionary = useDictionary ? dictionaryOf(physical) : undefined;
  const entries = dictionary ? plainBytes(dictionary.entries) : undefined;
  const pageValues = dictionary ? dictionaryIndexes(dictionary) : plainBytes(physical);
  const { codec, compressed } = chunkCodec(entries ? [entries, pageValues] : [pageValues]);
  const stored = (page: Uint8Array, index: number) => (codec === 'ZSTD' ? compressed[index]! : page);
  if (dictionary && entries) {
    dictionaryPageOffset = BigInt(file.offset);
    const count = dictionary.entries.values.length;
    uncompressed += writePage(
      file,
      (compressedSize) => writeDictionaryPageHeader(file, entries.length, compressedSize, count),
      new Uint8Array(0),
      entries,
      stored(entries, 0),
    );
  }
  const levels = definitionLevels(values);
  const dataPageOffset = BigInt(file.offset);
  const encoding = dictionary ? 'RLE_DICTIONARY' : 'PLAIN';
  uncompressed += writePage(
    file,
    (compressedSize) =>
      writeDataPageV2Header(file, levels.length + pageValues.length, compressedSize, {
        numValues: values.rowCount,
        numNulls: values.nullCount,
        numRows: values.rowCount,
        encoding,
        definitionLevelsByteLength: levels.length,
        isCompressed: codec === 'ZSTD',
      }),
    levels,
    pageValues,
    stored(pageValues, entries ? 1 : 0),
  );
  return {
    file_offset: BigInt(chunkStart),
    meta_data: {
      type: physical.type,
      encodings: dictionary ? ['PLAIN', 'RLE_DICTIONARY'] : ['PLAIN'],
      path_in_schema: [path],
      codec,
      num_values: BigInt(values.rowCount),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(file.offset - chunkStart),
      data_page_offset: dataPageOffset,
      dictionary_page_offset: dictionaryPageOffset,
      statistics: { null_count: BigInt(values.nullCount) },
    },
  };
}
