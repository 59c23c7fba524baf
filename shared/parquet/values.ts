/**
 * The exact Parquet encodings of the lake's value kinds (shared/schema/value-kinds.ts decides what
 * is valid; this file only turns valid values into Parquet's numbers and back, and words a bad
 * value as a ParquetValueError).
 */
import * as kinds from '../schema/value-kinds.ts';
import { ParquetValueError } from './errors.ts';

function parts(value: string): kinds.DecimalParts {
  const decimal = kinds.decimalParts(value);
  if (!decimal) throw new ParquetValueError(`${JSON.stringify(value)} is not a decimal`);
  return decimal;
}

/** Fraction digits of a decimal string ('2.57' → 2, '10' → 0). */
export function decimalScale(value: string): number {
  return parts(value).fraction.length;
}

/** Scale and integer digits (leading zeros ignored) of a decimal string: '-123.40' → 2 and 3. */
export function decimalShape(value: string): { readonly scale: number; readonly digits: number } {
  const decimal = parts(value);
  return { scale: decimal.fraction.length, digits: kinds.integerDigits(decimal) };
}

/** '12.3' at scale 3 → 12300n. Throws when the value would need rounding or exceeds the precision. */
export function decimalToScaledBigInt(value: string, scale: number, precision: number): bigint {
  const { negative, whole, fraction } = parts(value);
  if (fraction.length > scale) {
    throw new ParquetValueError(
      `${value} has ${fraction.length} decimals; DECIMAL(${precision},${scale}) would alter it`,
    );
  }
  const digits = `${whole}${fraction.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > precision) {
    throw new ParquetValueError(`${value} does not fit DECIMAL(${precision},${scale})`);
  }
  const unscaled = BigInt(digits);
  return negative ? -unscaled : unscaled;
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

export function timestampToMillis(value: string): bigint {
  const millis = kinds.timestampToMillis(value);
  if (millis === undefined)
    throw new ParquetValueError(`${JSON.stringify(value)} is not a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp`);
  return BigInt(millis);
}

export const { daysToDate, millisToTime, millisToTimestamp } = kinds;
