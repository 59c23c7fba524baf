import { describe, expect, test } from '@jest/globals';
import {
  civilToDays,
  dateToDays,
  daysToCivil,
  daysToDate,
  decimalParts,
  fitsDecimal,
  isDecimal,
  isoWeekday,
  isTimestamp,
  isValueOf,
  millisToTime,
  millisToTimestamp,
  timestampToMillis,
  timeToMillis,
  VALUE_KINDS,
  type ValueKind,
} from '../../../shared/schema/value-kinds.ts';

const VALID: Readonly<Record<ValueKind, readonly unknown[]>> = {
  int: [0, -2_147_483_648, 2_147_483_647],
  decimal: ['0', '2.57', '-0.05', '00123.4500'],
  text: ['', 'Manchester'],
  boolean: [true, false],
  date: ['2024-02-29', '1970-01-01', '0001-01-01', '0099-06-15', '0004-02-29', '9999-12-31'],
  time: ['00:00:00.000', '23:59:59.999'],
  timestamp: ['2024-02-29 23:59:59.999', '2022-11-03 14:20:49.962', '0001-01-01 00:00:00.000'],
};

const INVALID: Readonly<Record<ValueKind, readonly unknown[]>> = {
  int: [1.5, 2 ** 31, '1', null],
  decimal: [2.57, '1e3', '.5', '5.', '', '+1'],
  text: [1, null, true],
  boolean: ['true', 0],
  date: [
    '2023-02-29',
    '2024-2-1',
    '2024-02-29 00:00:00.000',
    20240229,
    '0000-01-01',
    '0100-02-29',
    '2024-00-10',
  ],
  time: ['24:00:00.000', '10:60:00.000', '10:00:00', '10:00:00.1234'],
  timestamp: [
    '2022-11-03T14:20:49.962',
    '2023-02-30 00:00:00.000',
    '2022-11-03 14:20:49',
    '2022-11-03 24:00:00.000',
  ],
};

describe('value kinds', () => {
  test.each(VALUE_KINDS)('%s: accepts its valid values and refuses the rest', (kind) => {
    for (const value of VALID[kind])
      expect({ value, ok: isValueOf(kind, value) }).toEqual({ value, ok: true });
    for (const value of INVALID[kind])
      expect({ value, ok: isValueOf(kind, value) }).toEqual({ value, ok: false });
  });

  test('dates, times and timestamps convert exactly both ways', () => {
    expect(dateToDays('1970-01-02')).toBe(1);
    expect(daysToDate(dateToDays('2024-02-29')!)).toBe('2024-02-29');
    expect(timeToMillis('01:02:03.004')).toBe(3_723_004);
    expect(millisToTime(3_723_004)).toBe('01:02:03.004');
    expect(millisToTimestamp(timestampToMillis('2024-02-29 23:59:59.999')!)).toBe('2024-02-29 23:59:59.999');
  });

  test('decimals: parts as written, and whether numeric(p, s) holds them unaltered', () => {
    expect(decimalParts('-012.30')).toEqual({ negative: true, whole: '012', fraction: '30' });
    expect(decimalParts('1e3')).toBeUndefined();
    expect(fitsDecimal('99999999.99', 10, 2)).toBe(true);
    expect(fitsDecimal('0012.3', 10, 2)).toBe(true);
    expect(fitsDecimal('123456789.01', 10, 2)).toBe(false);
    expect(fitsDecimal('12.345', 10, 2)).toBe(false);
  });

  test('the calendar is proleptic Gregorian by arithmetic, for every day of years 1–9999', () => {
    // Date handles days-since-epoch correctly (only Date.UTC's year argument is remapped), so it
    // serves as the reference over the whole range.
    const first = civilToDays(1, 1, 1);
    const last = civilToDays(9999, 12, 31);
    expect(first).toBe(-719_162);
    expect(last).toBe(2_932_896);
    for (let days = first; days <= last; days += 1) {
      if (days % 97 !== 0 && days !== first && days !== last) continue;
      const iso = new Date(days * 86_400_000).toISOString().slice(0, 10);
      expect(daysToDate(days)).toBe(iso);
      expect(dateToDays(iso)).toBe(days);
      const { year, month, day } = daysToCivil(days);
      expect(civilToDays(year, month, day)).toBe(days);
      expect(isoWeekday(days)).toBe(((new Date(days * 86_400_000).getUTCDay() + 6) % 7) + 1);
    }
    expect(isoWeekday(first)).toBe(1); // 0001-01-01 was a Monday
    expect(millisToTimestamp(timestampToMillis('0001-01-01 01:02:03.004')!)).toBe('0001-01-01 01:02:03.004');
  });
});

describe('checking a value without converting it', () => {
  /** Valid timestamps, and every one-character change of them that is still 23 characters. */
  function timestampCases(): string[] {
    const valid = [
      '2022-11-03 14:20:49.962',
      '2024-02-29 23:59:59.999',
      '2023-02-28 00:00:00.000',
      '1900-02-28 12:00:00.000',
      '2000-02-29 12:00:00.000',
      '0001-01-01 00:00:00.000',
      '9999-12-31 23:59:59.999',
      '2022-04-30 09:09:09.009',
    ];
    const cases = new Set(valid);
    for (const value of valid) {
      for (let i = 0; i < value.length; i++) {
        for (const c of '0123456789 -:./Ta') cases.add(value.slice(0, i) + c + value.slice(i + 1));
      }
    }
    for (const year of ['0000', '0001', '0004', '0100', '1900', '2000', '2023', '2024', '9999']) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const pad = (n: number) => String(n).padStart(2, '0');
          cases.add(`${year}-${pad(month)}-${pad(day)} 10:00:00.000`);
        }
      }
    }
    return [...cases];
  }

  test('isTimestamp accepts exactly what timestampToMillis reads', () => {
    const cases = timestampCases();
    expect(cases.length).toBeGreaterThan(5000);
    // One expectation over all cases (one per case made this test slow): the cases that disagree.
    const disagreeing = cases.filter((value) => {
      const ok = timestampToMillis(value) !== undefined;
      return isTimestamp(value) !== ok;
    });
    expect(disagreeing).toEqual([]);
    expect(cases.filter((value) => isTimestamp(value)).length).toBeGreaterThan(1000);
    expect(isTimestamp('2022-11-03 14:20:49.9621')).toBe(false);
    expect(isTimestamp(1_667_485_249_962)).toBe(false);
    expect(isTimestamp('2022-11-03 14:20:49.96')).toBe(false); // the text ends early
  });

  test('isDecimal accepts exactly -?digits(.digits)?', () => {
    for (const good of ['2.57', '-0.050', '10', '0', '-7'])
      expect({ good, ok: isDecimal(good) }).toEqual({ good, ok: true });
    for (const bad of ['', '-', '.5', '5.', '5.x', '5x', '+1', '"1"', '1.2.3', ' 1', '1 ', 12])
      expect({ bad, ok: isDecimal(bad) }).toEqual({ bad, ok: false });
  });
});
