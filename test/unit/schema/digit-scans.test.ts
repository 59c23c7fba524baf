/**
 * The digit-by-digit readers of decimals, dates and times (issue 18 goal 2: no regex, substring or
 * BigInt text per value) against reference implementations written the slow, obvious way.
 */
import { describe, expect, test } from '@jest/globals';
import { decimalToScaled } from '../../../shared/parquet/values.ts';
import {
  civilToDays,
  dateToDays,
  daysInMonth,
  fitsDecimal,
  isDecimal,
  scanDecimal,
  scannedIntegerDigits,
  timestampToMillis,
  timeToMillis,
} from '../../../shared/schema/value-kinds.ts';

const REFERENCE_DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** As the writer converts a decimal, always as a bigint for comparison. */
const scaledBigInt = (value: string, scale: number, precision: number): bigint =>
  BigInt(decimalToScaled(value, scale, precision));

/** The former regex + BigInt-of-text conversion, kept here as the oracle. */
function referenceScaled(value: string, scale: number, precision: number): bigint | 'error' {
  const match = REFERENCE_DECIMAL.exec(value);
  if (!match) return 'error';
  const [, minus, whole = '', fraction = ''] = match;
  if (fraction.length > scale) return 'error';
  const digits = `${whole}${fraction.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > precision) return 'error';
  const unscaled = BigInt(digits);
  return minus ? -unscaled : unscaled;
}

function scaled(value: string, scale: number, precision: number): bigint | 'error' {
  try {
    return scaledBigInt(value, scale, precision);
  } catch {
    return 'error';
  }
}

const DECIMALS = [
  '0',
  '-0',
  '0.00',
  '-0.00',
  '00000.000',
  '2.57',
  '-2.57',
  '0.05',
  '-0.05',
  '00123.4500',
  '99999999.99',
  '-99999999.99',
  '100000000.00',
  '999999999999999', // 15 digits: the exact-integer path's widest
  '9999999999999999', // 16 digits: the text path
  '123456789012345.6',
  '0.000000000000000000000000000000000001',
  '12345678901234567890123456789012345678', // 38 digits
  '-1234567890123456789012345678.9012345678', // 38 digits with a fraction
  '123456789012345678901234567890123456789', // 39 digits
  '1234567890123456789012345678901.234567891', // 40 digits
];

const NOT_DECIMALS = ['', '-', '.', '.5', '5.', '1.2.3', '+1', '1e3', ' 1', '1 ', '--1', '1,5', '١', 'NaN'];

describe('scanDecimal', () => {
  test('reads sign, significant digits, scale and the exact digits', () => {
    expect(scanDecimal('-0.050')).toEqual({ negative: true, significant: 2, scale: 3, digits: 50 });
    expect(scanDecimal('0')).toEqual({ negative: false, significant: 0, scale: 0, digits: 0 });
    expect(scanDecimal('00123.4500')).toEqual({ negative: false, significant: 7, scale: 4, digits: 1234500 });
    // Beyond 15 significant digits the number would not be exact: NaN, the text is used instead.
    expect(scanDecimal('9999999999999999')?.digits).toBeNaN();
    expect(scanDecimal('999999999999999')?.digits).toBe(999_999_999_999_999);
  });

  test('accepts exactly what the decimal pattern accepts', () => {
    for (const value of [...DECIMALS, ...NOT_DECIMALS]) {
      expect([value, scanDecimal(value) !== undefined]).toEqual([value, REFERENCE_DECIMAL.test(value)]);
      expect([value, isDecimal(value)]).toEqual([value, REFERENCE_DECIMAL.test(value)]);
    }
  });

  test('integer digits ignore leading zeros', () => {
    const digits = (value: string) => scannedIntegerDigits(scanDecimal(value)!);
    expect(digits('0.29')).toBe(0);
    expect(digits('-123.4')).toBe(3);
    expect(digits('000120.50')).toBe(3);
    expect(digits('0')).toBe(0);
  });

  test('fitsDecimal: numeric(10,2) takes 8 integer digits and 2 decimals', () => {
    expect(fitsDecimal('99999999.99', 10, 2)).toBe(true);
    expect(fitsDecimal('-99999999.99', 10, 2)).toBe(true);
    expect(fitsDecimal('100000000', 10, 2)).toBe(false);
    expect(fitsDecimal('1.234', 10, 2)).toBe(false);
    expect(fitsDecimal('0001.20', 10, 2)).toBe(true);
    expect(fitsDecimal('1e3', 10, 2)).toBe(false);
  });
});

describe('decimalToScaled', () => {
  test('matches the text-based reference for every value, scale and precision', () => {
    for (const value of [...DECIMALS, ...NOT_DECIMALS]) {
      for (const scale of [0, 1, 2, 3, 10, 38]) {
        for (const precision of [9, 10, 15, 16, 18, 38]) {
          expect([value, scale, precision, scaled(value, scale, precision)]).toEqual([
            value,
            scale,
            precision,
            referenceScaled(value, scale, precision),
          ]);
        }
      }
    }
  });

  test('edge values, exactly', () => {
    expect(scaledBigInt('-0.00', 2, 10)).toBe(0n);
    expect(scaledBigInt('0', 0, 18)).toBe(0n);
    expect(scaledBigInt('-2.5', 2, 18)).toBe(-250n);
    expect(scaledBigInt('999999999999999.999', 3, 18)).toBe(999_999_999_999_999_999n);
    expect(scaledBigInt('12345678901234567890123456789012345678', 0, 38)).toBe(
      12_345_678_901_234_567_890_123_456_789_012_345_678n,
    );
    expect(scaledBigInt('-0.000000000000000000000000000000000001', 36, 38)).toBe(-1n);
    expect(() => scaledBigInt('123456789012345678901234567890123456789', 0, 38)).toThrow(
      /does not fit DECIMAL\(38,0\)/,
    );
    expect(() => scaledBigInt('1.005', 2, 18)).toThrow(/has 3 decimals/);
  });

  test('random values across the 15-digit boundary agree with the reference', () => {
    // A fixed linear congruential sequence: deterministic, no Math.random.
    let state = 12345;
    const next = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state;
    };
    for (let i = 0; i < 2000; i++) {
      const wholeLength = 1 + (next() % 20);
      const fractionLength = next() % 6;
      let whole = '';
      for (let d = 0; d < wholeLength; d++) whole += String(next() % 10);
      let fraction = '';
      for (let d = 0; d < fractionLength; d++) fraction += String(next() % 10);
      const value = `${next() % 2 === 0 ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
      expect([value, scaled(value, 5, 38), scaled(value, 5, 18)]).toEqual([
        value,
        referenceScaled(value, 5, 38),
        referenceScaled(value, 5, 18),
      ]);
    }
  });
});

describe('dates, times and timestamps read digit by digit', () => {
  const referenceDays = (value: string): number | undefined => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!match) return undefined;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
    return civilToDays(year, month, day);
  };

  test('years 1 and 9999, leap days, and what is not a date', () => {
    expect(dateToDays('0001-01-01')).toBe(-719_162);
    expect(dateToDays('9999-12-31')).toBe(2_932_896);
    expect(dateToDays('1970-01-01')).toBe(0);
    for (const value of [
      '0001-01-01',
      '9999-12-31',
      '2024-02-29',
      '2023-02-29',
      '2000-02-29',
      '1900-02-29',
      '0000-01-01',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '2024-01-32',
      '2024-1-01',
      '2024/01/01',
      '2024-01-01 ',
      '20x4-01-01',
      '',
    ]) {
      expect([value, dateToDays(value)]).toEqual([value, referenceDays(value)]);
    }
  });

  test('every day of a leap and a common year', () => {
    for (const year of [1, 4, 100, 400, 2023, 2024, 9999]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          const value = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          expect([value, dateToDays(value)]).toEqual([value, referenceDays(value)]);
        }
      }
    }
  });

  test('times and timestamps', () => {
    expect(timeToMillis('00:00:00.000')).toBe(0);
    expect(timeToMillis('23:59:59.999')).toBe(86_399_999);
    for (const bad of [
      '24:00:00.000',
      '23:60:00.000',
      '23:59:60.000',
      '1:00:00.000',
      '12:00:00',
      '12-00-00.000',
      '12:00:00.00x',
    ])
      expect([bad, timeToMillis(bad)]).toEqual([bad, undefined]);
    expect(timestampToMillis('1970-01-01 00:00:00.001')).toBe(1);
    expect(timestampToMillis('0001-01-01 00:00:00.000')).toBe(-719_162 * 86_400_000);
    expect(timestampToMillis('9999-12-31 23:59:59.999')).toBe(2_932_896 * 86_400_000 + 86_399_999);
    for (const bad of [
      '2024-02-30 00:00:00.000',
      '2024-02-29T00:00:00.000',
      '2024-02-29 24:00:00.000',
      '2024-02-29 00:00:00.0000',
    ])
      expect([bad, timestampToMillis(bad)]).toEqual([bad, undefined]);
  });
});
