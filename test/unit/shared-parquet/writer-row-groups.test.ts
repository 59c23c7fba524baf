/**
 * The writer encodes each column of a row group in one pass over the rows (issue 18 goal 2): values
 * of every kind, nulls included, come back exactly, whatever the row group boundaries.
 */
import { describe, expect, test } from '@jest/globals';
import {
  type ParquetRow,
  type ParquetTableSchema,
  readParquet,
  writeParquet,
} from '../../../shared/parquet/index.ts';

const schema: ParquetTableSchema = {
  name: 'every_kind',
  columns: [
    { name: 'id', type: { kind: 'int32' }, nullable: false },
    { name: 'n', type: { kind: 'int32' }, nullable: true },
    { name: 'text', type: { kind: 'utf8' }, nullable: true },
    { name: 'flag', type: { kind: 'boolean' }, nullable: true },
    { name: 'day', type: { kind: 'date' }, nullable: true },
    { name: 'at', type: { kind: 'time-millis' }, nullable: true },
    { name: 'version', type: { kind: 'timestamp-millis' }, nullable: true },
    { name: 'price', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
    { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 'data' }, nullable: true },
  ],
};

const VALUES: readonly ParquetRow[] = [
  [1, 0, '', false, '0001-01-01', '00:00:00.000', '0001-01-01 00:00:00.000', '0.00', '0'],
  [
    2,
    -2_147_483_648,
    'Manchester',
    true,
    '9999-12-31',
    '23:59:59.999',
    '9999-12-31 23:59:59.999',
    '-99999999.99',
    '-12345678901234567890123456789012.345678',
  ],
  [3, null, null, null, null, null, null, null, null],
  [
    4,
    2_147_483_647,
    "O'Keefe",
    false,
    '2024-02-29',
    '12:34:56.789',
    '2024-02-29 12:34:56.789',
    '2.57',
    '0.05',
  ],
  [5, 7, 'ü €', true, '1970-01-01', '00:00:00.001', '1970-01-01 00:00:00.000', '-0.05', '-0.000001'],
];

describe('writer: one pass per column and row group', () => {
  test.each([1, 2, 3, 20_000])(
    'row groups of %i rows round-trip exactly, nulls included',
    async (rowGroupSize) => {
      const { buffer, columns } = writeParquet(schema, VALUES, { rowGroupSize });
      // The data-driven scale of `amount` is the largest present (6), every value unaltered.
      expect(columns[8]!.type).toEqual({ kind: 'decimal', precision: 38, scale: 6 });
      const back = await readParquet(buffer);
      expect(back.rowCount).toBe(VALUES.length);
      const names = schema.columns.map((c) => c.name);
      const rows = back.rows.map((row) => names.map((name) => row[name]));
      expect(rows.map((r) => r.slice(0, 8))).toEqual(VALUES.map((r) => r.slice(0, 8)));
      expect(rows.map((r) => r[8])).toEqual([
        '0.000000',
        '-12345678901234567890123456789012.345678',
        null,
        '0.050000',
        '-0.000001',
      ]);
    },
  );

  test('a null in a required column is refused with the column named, in any row group', () => {
    const rows = [...VALUES, [null, 1, 'a', true, null, null, null, null, null] as ParquetRow];
    expect(() => writeParquet(schema, rows, { rowGroupSize: 2 })).toThrow(
      /column id: null is not a value \(the column is required\)/,
    );
  });
});
