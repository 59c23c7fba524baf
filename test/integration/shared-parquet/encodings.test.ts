/**
 * The own page encoder (shared/parquet/column-chunk.ts, issue 18 goal 2) against two independent
 * readers: every column kind the lake uses, required and nullable, in columns that take the
 * dictionary and columns that stay PLAIN, reads back exactly through hyparquet (our reader, the
 * load's) and through DuckDB.
 */
import { describe, expect, test } from '@jest/globals';
import { parquetMetadata } from 'hyparquet';
import {
  daysToDate,
  type ParquetRow,
  type ParquetTableSchema,
  readParquet,
  writeParquet,
} from '../../../shared/parquet/index.ts';
import { readWithDuckDb } from '../transform/duckdb.ts';

const schema: ParquetTableSchema = {
  name: 'every_kind',
  columns: [
    { name: 'id', type: { kind: 'int32' }, nullable: false },
    { name: 'ref', type: { kind: 'int32' }, nullable: true },
    { name: 'code', type: { kind: 'utf8' }, nullable: false },
    { name: 'note', type: { kind: 'utf8' }, nullable: true },
    { name: 'paid', type: { kind: 'boolean' }, nullable: true },
    { name: 'day', type: { kind: 'date' }, nullable: true },
    { name: 'at', type: { kind: 'time-millis' }, nullable: true },
    { name: 'version', type: { kind: 'timestamp-millis' }, nullable: false },
    { name: 'small', type: { kind: 'decimal', precision: 9, scale: 2 }, nullable: true },
    { name: 'price', type: { kind: 'decimal', precision: 18, scale: 2 }, nullable: true },
    { name: 'wide', type: { kind: 'decimal', precision: 38, scale: 'data' }, nullable: true },
    { name: 'empty', type: { kind: 'utf8' }, nullable: true },
  ],
};

const CODES = ['GBP', 'USD', 'EUR', 'Ελλάδα', '日本', 'Zürich 🚀'];
const WIDE = [
  '-12345678901234567890123456789012.345678',
  '99999999999999999999999999999999.999999',
  '0.000001',
  '-0.5',
  '123456789012345.5',
];
const EDGES: readonly ParquetRow[] = [
  [
    -2_147_483_648,
    2_147_483_647,
    'GBP',
    '',
    false,
    '0001-01-01',
    '00:00:00.000',
    '0001-01-01 00:00:00.000',
    '-9999999.99',
    '-9999999999999999.99',
    WIDE[0]!,
    null,
  ],
  [
    2_147_483_647,
    -2_147_483_648,
    'Zürich 🚀',
    'naïve café — “quoted”',
    true,
    '9999-12-31',
    '23:59:59.999',
    '9999-12-31 23:59:59.999',
    '9999999.99',
    '9999999999999999.99',
    WIDE[1]!,
    null,
  ],
];

/** 3,000 rows: unique ids, times and timestamps (PLAIN), repeating refs, codes, days and prices (dictionary). */
function rows(): ParquetRow[] {
  const out: ParquetRow[] = [...EDGES];
  for (let i = 0; i < 2998; i++) {
    out.push([
      i,
      i % 7 === 0 ? null : i % 40,
      CODES[i % CODES.length]!,
      i % 3 === 0 ? null : `${i} Herzog Via, Flat ${i % 9} ✓`,
      i % 5 === 0 ? null : i % 2 === 0,
      i % 11 === 0 ? null : daysToDate(19_000 + (i % 300)),
      i % 13 === 0
        ? null
        : `${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:07.${String(i % 1000).padStart(3, '0')}`,
      `2024-02-29 12:${String(i % 60).padStart(2, '0')}:56.${String(i % 1000).padStart(3, '0')}`,
      i % 17 === 0 ? null : `${i % 50}.${String(i % 100).padStart(2, '0')}`,
      i % 19 === 0 ? null : `${(i % 90) * 1000}.${String(i % 10)}5`,
      i % 23 === 0 ? null : WIDE[i % WIDE.length]!,
      null,
    ]);
  }
  return out;
}

function toArrayBuffer(buffer: Uint8Array): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

describe('the page encoder against hyparquet and DuckDB', () => {
  const data = rows();
  const { buffer, columns } = writeParquet(schema, data, { rowGroupSize: 1000 });
  // The wide column's file scale is the largest present (6); shorter fractions read back padded.
  const wideScale = 6;
  const padWide = (value: string | null) => {
    if (value === null) return null;
    const [whole, fraction = ''] = value.split('.');
    return `${whole}.${fraction.padEnd(wideScale, '0')}`;
  };
  const expected = data.map((row) => {
    const out: Record<string, unknown> = {};
    schema.columns.forEach((column, index) => {
      out[column.name] = column.name === 'wide' ? padWide(row[index] as string | null) : row[index];
    });
    return out;
  });

  test('the file has the expected physical layout: dictionary for repeating kinds, PLAIN for unique ones', () => {
    expect(columns.find((c) => c.name === 'wide')?.type).toEqual({
      kind: 'decimal',
      precision: 38,
      scale: 6,
    });
    const metadata = parquetMetadata(toArrayBuffer(buffer));
    expect(metadata.row_groups).toHaveLength(3);
    const encodings = Object.fromEntries(
      metadata.row_groups[1]!.columns.map((c) => [c.meta_data!.path_in_schema[0], c.meta_data!.encodings]),
    );
    for (const name of ['ref', 'code', 'day', 'small', 'price']) {
      expect([name, encodings[name]]).toEqual([name, ['PLAIN', 'RLE_DICTIONARY']]);
    }
    for (const name of ['id', 'note', 'paid', 'at', 'version', 'wide', 'empty']) {
      expect([name, encodings[name]]).toEqual([name, ['PLAIN']]);
    }
    // Statistics: null counts only (no reader of ours prunes by min/max).
    const firstGroup = metadata.row_groups[0]!.columns;
    const nulls = (name: string) =>
      firstGroup.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!.statistics;
    expect(nulls('empty')).toEqual({ null_count: 1000n });
    expect(nulls('id')).toEqual({ null_count: 0n });
    const noteNulls = data.slice(0, 1000).filter((row) => row[3] === null).length;
    expect(nulls('note')).toEqual({ null_count: BigInt(noteNulls) });
  });

  test('hyparquet reads every value back exactly', async () => {
    const back = await readParquet(buffer);
    expect(back.rowCount).toBe(data.length);
    expect(back.rows).toEqual(expected);
  });

  test('DuckDB reads the same types and values', async () => {
    const duck = await readWithDuckDb(buffer);
    expect(duck.types).toEqual({
      id: 'INTEGER',
      ref: 'INTEGER',
      code: 'VARCHAR',
      note: 'VARCHAR',
      paid: 'BOOLEAN',
      day: 'DATE',
      at: 'TIME',
      version: 'TIMESTAMP',
      small: 'DECIMAL(9,2)',
      price: 'DECIMAL(18,2)',
      wide: 'DECIMAL(38,6)',
      empty: 'VARCHAR',
    });
    expect(duck.rows).toEqual(expected);
  });
});
