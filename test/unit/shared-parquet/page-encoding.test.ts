/**
 * The pieces of the own page encoder (issue 18 goal 2): PLAIN bytes per physical type, the
 * dictionary decision, the exact decimal and timestamp conversions. Whole files are read back by
 * hyparquet and DuckDB in test/integration/shared-parquet/encodings.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import type { PhysicalValues } from '../../../shared/parquet/column-values.ts';
import { dictionaryOf, isDictionaryCandidate, TRIAL_VALUES } from '../../../shared/parquet/dictionary.ts';
import { plainBytes } from '../../../shared/parquet/plain.ts';
import type { ResolvedColumn } from '../../../shared/parquet/types.ts';
import { decimalToScaled, timestampMillis } from '../../../shared/parquet/values.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function int64Reference(values: readonly bigint[]): string {
  const out = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((v, i) => {
    out.setBigInt64(i * 8, v, true);
  });
  return hex(new Uint8Array(out.buffer));
}

describe('PLAIN bytes', () => {
  test('INT32 little-endian', () => {
    const bytes = plainBytes({ type: 'INT32', values: Int32Array.from([1, -1, -2_147_483_648]) });
    expect(hex(bytes)).toBe('01000000' + 'ffffffff' + '00000080');
  });

  test('INT64 from exact JS integers equals INT64 from bigints, negatives and year 1 included', () => {
    const values = [0, 1, -1, 2 ** 32, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53) + 1, -62_135_596_800_000];
    expect(hex(plainBytes({ type: 'INT64', values }))).toBe(int64Reference(values.map(BigInt)));
    const wide = [2n ** 62n, -(2n ** 63n)];
    expect(hex(plainBytes({ type: 'INT64', values: wide }))).toBe(int64Reference(wide));
  });

  test('FIXED_LEN_BYTE_ARRAY(16) big-endian two’s complement', () => {
    const bytes = plainBytes({ type: 'FIXED_LEN_BYTE_ARRAY', values: [1, -1n, 10n ** 38n - 1n] });
    expect(hex(bytes.subarray(0, 16))).toBe(`${'00'.repeat(15)}01`);
    expect(hex(bytes.subarray(16, 32))).toBe('ff'.repeat(16));
    expect(BigInt(`0x${hex(bytes.subarray(32, 48))}`)).toBe(10n ** 38n - 1n);
  });

  test('BYTE_ARRAY: 4-byte length and UTF-8, ASCII and beyond', () => {
    const values = ['', 'GBP', 'Zürich', '日本', 'rocket 🚀', 'a'.repeat(300)];
    const expected: number[] = [];
    for (const value of values) {
      const utf8 = new TextEncoder().encode(value);
      expected.push(utf8.length & 0xff, (utf8.length >> 8) & 0xff, 0, 0, ...utf8);
    }
    expect([...plainBytes({ type: 'BYTE_ARRAY', values })]).toEqual(expected);
  });

  test('BOOLEAN bit-packed from the least significant bit', () => {
    const values = [true, false, true, true, false, false, false, false, true];
    expect([...plainBytes({ type: 'BOOLEAN', values })]).toEqual([0b00001101, 0b00000001]);
  });
});

describe('dictionary or PLAIN', () => {
  const column = (type: ResolvedColumn['type']): ResolvedColumn => ({ name: 'c', type, nullable: true });

  test('candidates by column kind, from the schema', () => {
    expect(isDictionaryCandidate(column({ kind: 'int32' }))).toBe(true);
    expect(isDictionaryCandidate(column({ kind: 'date' }))).toBe(true);
    expect(isDictionaryCandidate(column({ kind: 'utf8' }))).toBe(true);
    expect(isDictionaryCandidate(column({ kind: 'decimal', precision: 18, scale: 2 }))).toBe(true);
    expect(isDictionaryCandidate(column({ kind: 'decimal', precision: 38, scale: 2 }))).toBe(false);
    expect(isDictionaryCandidate(column({ kind: 'timestamp-millis' }))).toBe(false);
    expect(isDictionaryCandidate(column({ kind: 'time-millis' }))).toBe(false);
    expect(isDictionaryCandidate(column({ kind: 'boolean' }))).toBe(false);
  });

  test('repeating values: entries in order of first appearance, an index per value', () => {
    const values = ['GBP', 'USD', 'GBP', 'EUR', 'USD', 'GBP', 'GBP', 'EUR'];
    const dictionary = dictionaryOf({ type: 'BYTE_ARRAY', values })!;
    expect(dictionary.entries).toEqual({ type: 'BYTE_ARRAY', values: ['GBP', 'USD', 'EUR'] });
    expect([...dictionary.indexes]).toEqual([0, 1, 0, 2, 1, 0, 0, 2]);
    expect(dictionary.bitWidth).toBe(2);
    const single = dictionaryOf({ type: 'INT32', values: Int32Array.from([7, 7, 7]) })!;
    expect([...(single.entries.values as Int32Array)]).toEqual([7]);
    expect(single.bitWidth).toBe(1);
    const amounts = dictionaryOf({ type: 'INT64', values: [250, 2n ** 60n, 250, 2n ** 60n] })!;
    expect(amounts.entries.values).toEqual([250, 2n ** 60n]);
    expect(
      dictionaryOf({ type: 'INT32', values: Int32Array.from({ length: 10 }, (_, i) => i % 5) })!.bitWidth,
    ).toBe(3);
  });

  test('INT32: values indexed directly (narrow range) or hashed (wide range) give the same dictionary', () => {
    // The same pattern of repeats over a narrow span (dates, foreign keys) and a span of 2^31.
    const pattern = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 300);
    for (const [base, step] of [
      [19_000, 1],
      [-2_147_483_648, 3_000_000],
    ] as const) {
      const values = Int32Array.from(pattern, (p) => base + p * step);
      const dictionary = dictionaryOf({ type: 'INT32', values })!;
      const entries = [...new Set(values)];
      expect([...(dictionary.entries.values as Int32Array)]).toEqual(entries);
      expect([...dictionary.indexes]).toEqual([...values].map((v) => entries.indexOf(v)));
      expect(dictionary.bitWidth).toBe(9);
    }
    // Twice in a row (the reused tables are left clean), and a chunk one value more distinct: PLAIN.
    const again = dictionaryOf({ type: 'INT32', values: Int32Array.from([5, 6, 5, 6]) })!;
    expect([...again.indexes]).toEqual([0, 1, 0, 1]);
    expect(dictionaryOf({ type: 'INT32', values: Int32Array.from([5, 6, 7, 5, 8]) })).toBeUndefined();
    expect(dictionaryOf({ type: 'INT32', values: Int32Array.from([0, 2 ** 30, 5, 0, 7]) })).toBeUndefined();
  });

  test('unique or mostly distinct values stay PLAIN, decided early for long columns', () => {
    const unique: PhysicalValues = {
      type: 'INT32',
      values: Int32Array.from({ length: 5 * TRIAL_VALUES }, (_, i) => i),
    };
    expect(dictionaryOf(unique)).toBeUndefined();
    // Repeats after the trial do not bring back a column the trial rejected.
    const uniqueThenRepeated = Int32Array.from({ length: 10 * TRIAL_VALUES }, (_, i) =>
      i < TRIAL_VALUES ? i : 0,
    );
    expect(dictionaryOf({ type: 'INT32', values: uniqueThenRepeated })).toBeUndefined();
    // More than half distinct in a short column: PLAIN.
    expect(
      dictionaryOf({ type: 'INT32', values: Int32Array.from([1, 2, 1, 1]) })!.entries.values,
    ).toHaveLength(2);
    expect(dictionaryOf({ type: 'INT32', values: Int32Array.from([1, 2, 3, 1]) })).toBeUndefined();
    expect(dictionaryOf({ type: 'INT32', values: new Int32Array(0) })).toBeUndefined();
    expect(dictionaryOf({ type: 'BOOLEAN', values: [true, true, true] })).toBeUndefined();
    expect(dictionaryOf({ type: 'FIXED_LEN_BYTE_ARRAY', values: [1, 1, 1] })).toBeUndefined();
  });
});

describe('exact conversions to physical values', () => {
  test('decimals: a JS integer up to 15 digits, a bigint beyond, never a float', () => {
    expect(decimalToScaled('2.57', 2, 10)).toBe(257);
    expect(decimalToScaled('-0.05', 2, 10)).toBe(-5);
    expect(Object.is(decimalToScaled('-0.00', 2, 10), 0)).toBe(true);
    expect(decimalToScaled('12.3', 3, 38)).toBe(12_300);
    expect(decimalToScaled('999999999999999', 0, 18)).toBe(999_999_999_999_999);
    expect(decimalToScaled('9999999999999999.99', 2, 18)).toBe(999_999_999_999_999_999n);
    expect(decimalToScaled('-12345678901234567890123456789012.345678', 6, 38)).toBe(
      -12_345_678_901_234_567_890_123_456_789_012_345_678n,
    );
    expect(() => decimalToScaled('1.234', 2, 10)).toThrow(/would alter it/);
  });

  test('timestamps: milliseconds as an exact JS integer, years 1 and 9999', () => {
    expect(timestampMillis('1970-01-01 00:00:01.001')).toBe(1001);
    expect(timestampMillis('0001-01-01 00:00:00.000')).toBe(-62_135_596_800_000);
    expect(timestampMillis('9999-12-31 23:59:59.999')).toBe(253_402_300_799_999);
    expect(() => timestampMillis('2024-01-01T00:00:00.000')).toThrow(
      /is not a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp/,
    );
  });
});
