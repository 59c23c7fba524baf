/**
 * shared/parquet/page-header.ts writes the same PageHeader bytes as hyparquet-writer's
 * `writePageHeader`, and hyparquet parses them back to the same header.
 */
import { describe, expect, test } from '@jest/globals';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import {
  type DataPageV2,
  writeDataPageV2Header,
  writeDictionaryPageHeader,
} from '../../../shared/parquet/page-header.ts';

type Header = Parameters<typeof writePageHeader>[1];

function bytes(write: (writer: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter();
  write(writer);
  return writer.getBytes();
}

const parsed = (data: Uint8Array) =>
  parquetHeader({ view: new DataView(data.buffer, data.byteOffset, data.byteLength), offset: 0 });

describe('page headers', () => {
  test.each([
    [0, 0, 0],
    [123, 45, 6],
    [70_000_000, 3_000_000, 200_000],
  ])('dictionary page (uncompressed %i, compressed %i, %i entries)', (uncompressed, compressed, count) => {
    const ours = bytes((w) => writeDictionaryPageHeader(w, uncompressed, compressed, count));
    const header: Header = {
      type: 'DICTIONARY_PAGE',
      uncompressed_page_size: uncompressed,
      compressed_page_size: compressed,
      dictionary_page_header: { num_values: count, encoding: 'PLAIN' },
    };
    expect(Buffer.from(ours).equals(Buffer.from(bytes((w) => writePageHeader(w, header))))).toBe(true);
    expect(parsed(ours)).toMatchObject(header);
  });

  const pages: DataPageV2[] = [
    {
      numValues: 20_000,
      numNulls: 0,
      numRows: 20_000,
      encoding: 'PLAIN',
      definitionLevelsByteLength: 0,
      isCompressed: true,
    },
    {
      numValues: 20_000,
      numNulls: 17,
      numRows: 20_000,
      encoding: 'RLE_DICTIONARY',
      definitionLevelsByteLength: 2_503,
      isCompressed: false,
    },
    {
      numValues: 1,
      numNulls: 1,
      numRows: 1,
      encoding: 'PLAIN',
      definitionLevelsByteLength: 2,
      isCompressed: false,
    },
  ];
  test.each(pages)('DATA_PAGE_V2 %o', (page) => {
    const [uncompressed, compressed] = [page.numValues * 8 + 99, page.numValues * 5 + 7];
    const ours = bytes((w) => writeDataPageV2Header(w, uncompressed, compressed, page));
    const header: Header = {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: uncompressed,
      compressed_page_size: compressed,
      data_page_header_v2: {
        num_values: page.numValues,
        num_nulls: page.numNulls,
        num_rows: page.numRows,
        encoding: page.encoding,
        definition_levels_byte_length: page.definitionLevelsByteLength,
        repetition_levels_byte_length: 0,
        is_compressed: page.isCompressed,
      },
    };
    expect(Buffer.from(ours).equals(Buffer.from(bytes((w) => writePageHeader(w, header))))).toBe(true);
    expect(parsed(ours)).toMatchObject(header);
  });
});
