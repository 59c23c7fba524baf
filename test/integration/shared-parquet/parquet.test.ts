import { describe, expect, test } from '@jest/globals';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  dateToDays,
  daysToDate,
  decimalToScaled,
  iterateParquet,
  type ParquetRow,
  type ParquetTableSchema,
  ParquetValueError,
  parquetColumns,
  readParquet,
  scaledBigIntToDecimal,
  timestampMillis,
  timeToMillis,
  writeParquet,
} from '../../../shared/parquet/index.ts';
import { readWithDuckDb } from '../transform/duckdb.ts';

describe('exact conversions', () => {
  test('decimals as scaled integers, never floats', () => {
    expect(BigInt(decimalToScaled('2.57', 2, 10))).toBe(257n);
    expect(BigInt(decimalToScaled('0.29', 2, 10))).toBe(29n);
    expect(BigInt(decimalToScaled('123456789.01', 2, 38))).toBe(12345678901n);
    expect(BigInt(decimalToScaled('12.3', 3, 38))).toBe(12300n);
    expect(BigInt(decimalToScaled('-0.05', 2, 10))).toBe(-5n);
    expect(() => decimalToScaled('12.345', 2, 10)).toThrow(ParquetValueError);
    expect(() => decimalToScaled('123456789.01', 2, 10)).toThrow(/does not fit/);
    expect(() => decimalToScaled('1e3', 2, 10)).toThrow(ParquetValueError);
    expect(scaledBigIntToDecimal(257n, 2)).toBe('2.57');
    expect(scaledBigIntToDecimal(-5n, 2)).toBe('-0.05');
    expect(scaledBigIntToDecimal(7n, 0)).toBe('7');
  });

  test('dates, times, timestamps', () => {
    expect(daysToDate(dateToDays('2024-02-29'))).toBe('2024-02-29');
    expect(dateToDays('1970-01-02')).toBe(1);
    expect(() => dateToDays('2023-02-29')).toThrow(/not a calendar date/);
    // Years 1–99 (Date.UTC would map them to 1900–1999), leap days of the proleptic calendar.
    expect(dateToDays('0001-01-01')).toBe(-719_162);
    expect(daysToDate(-719_162)).toBe('0001-01-01');
    expect(daysToDate(dateToDays('0099-06-15'))).toBe('0099-06-15');
    expect(daysToDate(dateToDays('0004-02-29'))).toBe('0004-02-29');
    expect(daysToDate(dateToDays('9999-12-31'))).toBe('9999-12-31');
    expect(() => dateToDays('0000-01-01')).toThrow(/not a calendar date/);
    expect(() => dateToDays('0100-02-29')).toThrow(/not a calendar date/);
    expect(timestampMillis('0001-01-01 00:00:00.001')).toBe(-62_135_596_799_999);
    expect(() => dateToDays('2023-2-1')).toThrow(ParquetValueError);
    expect(timeToMillis('23:59:59.999')).toBe(86_399_999);
    expect(() => timeToMillis('24:00:00.000')).toThrow(ParquetValueError);
    expect(timestampMillis('1970-01-01 00:00:01.001')).toBe(1001);
    expect(() => timestampMillis('2022-11-03T14:20:49.962')).toThrow(ParquetValueError);
  });
});

const schema: ParquetTableSchema = {
  name: 'sample',
  columns: [
    { name: 'id', type: { kind: 'int32' }, nullable: false },
    { name: 'name', type: { kind: 'utf8' }, nullable: true },
    { name: 'paid', type: { kind: 'boolean' }, nullable: false },
    { name: 'day', type: { kind: 'date' }, nullable: false },
    { name: 'at', type: { kind: 'time-millis' }, nullable: false },
    { name: 'version', type: { kind: 'timestamp-millis' }, nullable: false },
    { name: 'price', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: false },
    { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 'data' }, nullable: false },
  ],
};

describe('write and read back', () => {
  test('every value comes back exactly, over several row groups', async () => {
    const rows: ParquetRow[] = [];
    for (let i = 0; i < 2500; i++) {
      rows.push([
        i,
        i % 3 === 0 ? null : `O'Keefe ${i}`,
        i % 2 === 0,
        daysToDate(19000 + (i % 400)),
        `${String(i % 24).padStart(2, '0')}:00:00.${String(i % 1000).padStart(3, '0')}`,
        `2024-02-29 12:34:56.${String(i % 1000).padStart(3, '0')}`,
        `${i}.${String(i % 100).padStart(2, '0')}`,
        i % 2 === 0 ? `123456789.0${i % 10}` : '12.345',
      ]);
    }
    const { buffer, columns } = writeParquet(schema, rows, { rowGroupSize: 1000 });
    // Unbounded numeric: scale from the data, precision 18 (INT64) while every value fits.
    expect(columns.find((c) => c.name === 'amount')?.type).toEqual({
      kind: 'decimal',
      precision: 18,
      scale: 3,
    });
    const back = await readParquet(buffer);
    expect(back.rowCount).toBe(2500);
    expect(back.rows.map((r) => schema.columns.map((c) => r[c.name]))).toEqual(
      rows.map((r) => {
        const copy = [...r];
        // scale 3 file: a 2-decimal amount reads back with a trailing zero (numerically equal).
        if (typeof copy[7] === 'string' && copy[7].split('.')[1]!.length === 2) copy[7] = `${copy[7]}0`;
        return copy;
      }),
    );
    expect(parquetColumns(buffer).map((c) => c.nullable)).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    let seen = 0;
    for await (const slice of iterateParquet(buffer, { batchRows: 700 })) seen += slice.rows.length;
    expect(seen).toBe(2500);
    // DuckDB, an independent reader, sees the same types and values.
    const duck = await readWithDuckDb(buffer);
    expect(duck.types).toEqual({
      id: 'INTEGER',
      name: 'VARCHAR',
      paid: 'BOOLEAN',
      day: 'DATE',
      at: 'TIME',
      version: 'TIMESTAMP',
      price: 'DECIMAL(10,2)',
      amount: 'DECIMAL(18,3)',
    });
    expect(duck.rows).toEqual(back.rows);
  });

  test('an unbounded numeric too wide for 18 digits is written as DECIMAL(38, s), exactly', async () => {
    const huge = '-99999999999999999999999999999999.999';
    const good: ParquetRow = [
      1,
      'a',
      true,
      '2024-01-01',
      '00:00:00.000',
      '2024-01-01 00:00:00.000',
      '1.00',
      huge,
    ];
    const { buffer, columns } = writeParquet(schema, [good, [...good.slice(0, 7), '0.29']]);
    expect(columns[7]!.type).toEqual({ kind: 'decimal', precision: 38, scale: 3 });
    const back = await readParquet(buffer);
    expect(back.rows.map((r) => r.amount)).toEqual([huge, '0.290']);
    const duck = await readWithDuckDb(buffer);
    expect(duck.types.amount).toBe('DECIMAL(38,3)');
    expect(duck.rows.map((r) => r.amount)).toEqual([huge, '0.290']);
  });

  test('an unbounded numeric beyond 38 digits is carried as UTF8 decimal text in that file, exact', async () => {
    const row = (amount: string): ParquetRow => [
      1,
      'a',
      true,
      '0001-01-01',
      '00:00:00.000',
      '0001-01-01 00:00:00.000',
      '1.00',
      amount,
    ];
    const forty = '1234567890123456789012345678901.234567891';
    const negative = `-${'9'.repeat(70)}.5`;
    const { buffer, columns } = writeParquet(schema, [row(forty), row(negative), row('0.29')]);
    expect(columns[7]!.type).toEqual({ kind: 'utf8' });
    const back = await readParquet(buffer);
    expect(back.rows.map((r) => r.amount)).toEqual([forty, negative, '0.29']);
    expect(back.rows[0]!.day).toBe('0001-01-01');
    expect(back.rows[0]!.version).toBe('0001-01-01 00:00:00.000');
    // DuckDB (totes query, the tests' independent reader) reads the text exactly too.
    const duck = await readWithDuckDb(buffer);
    expect(duck.types.amount).toBe('VARCHAR');
    expect(duck.rows.map((r) => r.amount)).toEqual([forty, negative, '0.29']);
    expect(duck.rows[0]!.day).toBe('0001-01-01');
    // Still only decimals: anything else is refused with the column named.
    expect(() => writeParquet(schema, [row(forty), row('1e3')])).toThrow(/"1e3" is not a decimal/);
  });

  test('a chunk zstd does not shrink is written UNCOMPRESSED; both codecs in one file read back exactly', async () => {
    // 30,000 scattered ids (PLAIN INT32: never shrink) beside repeating times (shrink well).
    const rows: ParquetRow[] = [];
    for (let i = 0; i < 30_000; i++) {
      rows.push([
        i * 7919,
        i % 5 === 0 ? null : `customer ${i % 97}`,
        i % 3 === 0,
        19_000 + (i % 50),
        (i % 60) * 1000,
        1_700_000_000_000 + (i % 60) * 1000,
        `${i % 10}.00`,
        `${i}`,
      ]);
    }
    const { buffer } = writeParquet(schema, rows);
    const metadata = parquetMetadata(
      buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer,
    );
    const codecs = Object.fromEntries(
      metadata.row_groups[0]!.columns.map((c) => [c.meta_data!.path_in_schema[0], c.meta_data!.codec]),
    );
    expect(codecs.id).toBe('UNCOMPRESSED');
    expect(codecs.version).toBe('ZSTD');
    expect(codecs.at).toBe('ZSTD');
    // The ZSTD chunks did shrink by the rule's 10 % at least (sizes include the page headers).
    for (const chunk of metadata.row_groups[0]!.columns) {
      const { codec, total_compressed_size, total_uncompressed_size } = chunk.meta_data!;
      if (codec === 'ZSTD')
        expect(Number(total_compressed_size)).toBeLessThan(0.9 * Number(total_uncompressed_size));
    }
    const back = await readParquet(buffer);
    const text = rows.map((r) => [r[0], r[1], r[2], daysToDate(r[3] as number), r[4], r[5], r[6], r[7]]);
    expect(
      back.rows.map((r) => [
        r.id,
        r.name,
        r.paid,
        r.day,
        timeToMillis(r.at as string),
        timestampMillis(r.version as string),
        r.price,
        r.amount,
      ]),
    ).toEqual(text);
    const duck = await readWithDuckDb(buffer);
    expect(duck.rows).toEqual(back.rows);
  });

  test('a SNAPPY file (the codec written before ZSTD) still reads back exactly', async () => {
    // hyparquet-writer's own writer: SNAPPY by default, the algorithm our writer used until ZSTD.
    const ids = Int32Array.from({ length: 5_000 }, (_, i) => i % 40);
    const names = Array.from({ length: 5_000 }, (_, i) => (i % 7 === 0 ? null : `customer ${i % 13}`));
    const paid = Array.from({ length: 5_000 }, (_, i) => i % 3 === 0);
    const buffer = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: ids, type: 'INT32', nullable: false },
          { name: 'name', data: names, type: 'STRING' },
          { name: 'paid', data: paid, type: 'BOOLEAN', nullable: false },
        ],
        codec: 'SNAPPY',
      }),
    );
    const metadata = parquetMetadata(buffer.buffer as ArrayBuffer);
    expect(metadata.row_groups[0]!.columns.map((c) => c.meta_data!.codec)).toEqual([
      'SNAPPY',
      'SNAPPY',
      'SNAPPY',
    ]);
    const back = await readParquet(buffer);
    expect(back.rows).toEqual(Array.from(ids, (id, i) => ({ id, name: names[i], paid: paid[i] })));
  });

  test('dates, times and timestamps given as their numbers write the same file as their text', () => {
    const text: ParquetRow[] = [];
    const numbers: ParquetRow[] = [];
    const days = [-719_162, -1, 0, 19_782, 2_932_896]; // 0001-01-01 … 9999-12-31
    for (const [i, d] of days.entries()) {
      const time = `${String(i * 5).padStart(2, '0')}:59:59.${String(i * 111).padStart(3, '0')}`;
      const stamp = `${daysToDate(d)} ${time}`;
      const head = [i, null, true] as const;
      const tail = ['1.00', '1'] as const;
      text.push([...head, daysToDate(d), time, stamp, ...tail]);
      numbers.push([...head, d, timeToMillis(time), timestampMillis(stamp), ...tail]);
    }
    expect(writeParquet(schema, numbers).buffer).toEqual(writeParquet(schema, text).buffer);
    const row = numbers[0]!;
    const bad = (index: number, value: number) => () => {
      const copy = [...row];
      copy[index] = value;
      writeParquet(schema, [copy]);
    };
    expect(bad(3, -719_163)).toThrow(/column day: -719163 is not a date string or days since 1970/);
    expect(bad(3, 1.5)).toThrow(/column day/);
    expect(bad(4, 86_400_000)).toThrow(/column at: 86400000 is not a time string or ms since midnight/);
    expect(bad(4, -1)).toThrow(/column at/);
    expect(bad(5, 2_932_897 * 86_400_000)).toThrow(/column version: .* is not a timestamp string/);
    expect(bad(5, 0.5)).toThrow(/column version/);
  });

  test('a null in a required column, a wrong type or a bad date is refused with the column named', () => {
    const good: ParquetRow = [
      1,
      'a',
      true,
      '2024-01-01',
      '00:00:00.000',
      '2024-01-01 00:00:00.000',
      '1.00',
      '1',
    ];
    expect(() => writeParquet(schema, [good])).not.toThrow();
    const bad = (index: number, value: ParquetRow[number]) => {
      const row = [...good];
      row[index] = value;
      return () => writeParquet(schema, [row]);
    };
    expect(bad(0, null)).toThrow(/column id: null is not a value \(the column is required\)/);
    expect(bad(0, 1.5)).toThrow(/column id/);
    expect(bad(0, 2 ** 31)).toThrow(/column id/);
    expect(bad(1, 5)).toThrow(/column name/);
    expect(bad(3, '2023-02-30')).toThrow(/column day: 2023-02-30 is not a calendar date/);
    expect(bad(6, 2.57)).toThrow(/column price/);
    expect(bad(6, '1.234')).toThrow(/column price/);
  });
});
