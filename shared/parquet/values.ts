/**
 * The exact Parquet encodings of the lake's value kinds (shared/schema/value-kinds.ts decides what
 * is valid; this file only turns valid values into Parquet's numbers and back, and words a bad
 * value as a ParquetValueError).
 */
import * as kinds from '../schema/value-kinds.ts';
import { ParquetValueError } from './errors.ts';

function scan(value: string): kinds.DecimalScan {
  const decimal = kinds.scanDecimal(value);
  if (!decimal) throw new ParquetValueError(`${JSON.stringify(value)} is not a decimal`);
  return decimal;
}

/** Fraction digits of a decimal string ('2.57' → 2, '10' → 0). */
export function decimalScale(value: string): number {
  return scan(value).scale;
}

/** Scale and integer digits (leading zeros ignored) of a decimal string: '-123.40' → 2 and 3. */
export function decimalShape(value: string): { readonly scale: number; readonly digits: number } {
  const decimal = scan(value);
  return { scale: decimal.scale, digits: kinds.scannedIntegerDigits(decimal) };
}

/**
 * '12.3' at scale 3 → 12300 (a JS integer when the unscaled value has at most 15 digits, so below
 * 2^53 and exact; a bigint beyond). Throws when the value would need rounding or exceeds the
 * precision. Never a binary fraction: the digits are scanned, not parsed as a float.
 */
export function decimalToScaled(value: string, scale: number, precision: number): number | bigint {
  const decimal = scan(value);
  if (decimal.scale > scale) {
    throw new ParquetValueError(
      `${value} has ${decimal.scale} decimals; DECIMAL(${precision},${scale}) would alter it`,
    );
  }
  const padding = scale - decimal.scale;
  // Digits of the unscaled integer, leading zeros ignored (zero itself is one digit).
  const unscaledDigits = decimal.significant === 0 ? 1 : decimal.significant + padding;
  if (unscaledDigits > precision) {
    throw new ParquetValueError(`${value} does not fit DECIMAL(${precision},${scale})`);
  }
  if (unscaledDigits <= 15) {
    const unscaled = decimal.digits * 10 ** padding;
    return decimal.negative && unscaled !== 0 ? -unscaled : unscaled;
  }
  const point = value.indexOf('.');
  const digits =
    point < 0
      ? value.slice(decimal.negative ? 1 : 0)
      : value.slice(decimal.negative ? 1 : 0, point) + value.slice(point + 1);
  const unscaled = BigInt(digits + '0'.repeat(padding));
  return decimal.negative ? -unscaled : unscaled;
}

/** 1234n at scale 2 → '12.34'; -5n at scale 2 → '-0.05'. */
export function scaledBigIntToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

export function dateToDays(value: string): number {
  const days = kinds.dateToDays(value);
  if (days === undefined) throw new ParquetValueError(`${value} is not a calendar date 'YYYY-MM-DD'`);
  return days;
}

export function timeToMillis(value: string): number {
  const millis = kinds.timeToMillis(value);
  if (millis === undefined)
    throw new ParquetValueError(`${JSON.stringify(value)} is not an 'HH:MM:SS.mmm' time of day`);
  return millis;
}

/** Milliseconds since 1970 as an exact JS integer (years 0001–9999 stay far below 2^53). */
export function timestampMillis(value: string): number {
  const millis = kinds.timestampToMillis(value);
  if (millis === undefined)
    throw new ParquetValueError(`${JSON.stringify(value)} is not a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp`);
  return millis;
}

export const { daysToDate, millisToTime, millisToTimestamp } = kinds;
