/**
 * Writes one column chunk of a row group: an optional dictionary page and one DATA_PAGE_V2
 * (definition levels RLE/bit-packed, uncompressed as V2 wants them; values PLAIN or
 * RLE_DICTIONARY, snappy-compressed by ./snappy.ts). The page header and footer Thrift and the
 * RLE/bit-packed hybrid are hyparquet-writer's (pinned version, its `src/*.js` exports); what this file
 * leaves out is what we measured to cost and no reader of ours uses: min/max statistics (only
 * null_count is kept), the dictionary trial of every column, and the per-value conversion copies.
 */
import type { ColumnChunk } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';

import type { ColumnValues } from './column-values.ts';
import { type Dictionary, dictionaryOf } from './dictionary.ts';
import { plainBytes } from './plain.ts';
import { snappyCompress } from './snappy.ts';

type Header = Parameters<typeof writePageHeader>[1];

function writePage(file: ByteWriter, header: Header, levels: Uint8Array, values: Uint8Array): number {
  const compressed = snappyCompress(values);
  const headerStart = file.offset;
  writePageHeader(file, { ...header, compressed_page_size: levels.length + compressed.length });
  const headerSize = file.offset - headerStart;
  if (levels.length > 0) file.appendBytes(levels);
  file.appendBytes(compressed);
  return headerSize + levels.length + values.length;
}

function definitionLevels(values: ColumnValues): Uint8Array {
  const levels = values.definitionLevels;
  if (!levels) return new Uint8Array(0);
  const writer = new ByteWriter(64);
  if (values.nullCount === 0) {
    // All present: one RLE run of 1s (header = count << 1, then the value in one byte).
    writer.appendVarInt(values.rowCount << 1);
    writer.appendUint8(1);
  } else writeRleBitPackedHybrid(writer, levels, 1);
  return writer.getBytes();
}

function dictionaryIndexes(dictionary: Dictionary): Uint8Array {
  const writer = new ByteWriter(dictionary.indexes.length + 64);
  writer.appendUint8(dictionary.bitWidth);
  writeRleBitPackedHybrid(writer, dictionary.indexes, dictionary.bitWidth);
  return writer.getBytes();
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
  if (dictionary) {
    dictionaryPageOffset = BigInt(file.offset);
    const entries = plainBytes(dictionary.entries);
    uncompressed += writePage(
      file,
      {
        type: 'DICTIONARY_PAGE',
        uncompressed_page_size: entries.length,
        compressed_page_size: 0,
        dictionary_page_header: { num_values: dictionary.entries.values.length, encoding: 'PLAIN' },
      },
      new Uint8Array(0),
      entries,
    );
  }
  const levels = definitionLevels(values);
  const dataPageOffset = BigInt(file.offset);
  const pageValues = dictionary ? dictionaryIndexes(dictionary) : plainBytes(physical);
  const encoding = dictionary ? 'RLE_DICTIONARY' : 'PLAIN';
  uncompressed += writePage(
    file,
    {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levels.length + pageValues.length,
      compressed_page_size: 0,
      data_page_header_v2: {
        num_values: values.rowCount,
        num_nulls: values.nullCount,
        num_rows: values.rowCount,
        encoding,
        definition_levels_byte_length: levels.length,
        repetition_levels_byte_length: 0,
        is_compressed: true,
      },
    },
    levels,
    pageValues,
  );
  return {
    file_offset: BigInt(chunkStart),
    meta_data: {
      type: physical.type,
      encodings: dictionary ? ['PLAIN', 'RLE_DICTIONARY'] : ['PLAIN'],
      path_in_schema: [path],
      codec: 'SNAPPY',
      num_values: BigInt(values.rowCount),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(file.offset - chunkStart),
      data_page_offset: dataPageOffset,
      dictionary_page_offset: dictionaryPageOffset,
      statistics: { null_count: BigInt(values.nullCount) },
    },
  };
}
