/**
 * The one place that knows the pipeline's value kinds: how each is written as a JavaScript value
 * between the stages (ingestion JSON, Parquet rows as read back, load staging), what makes a value
 * of the kind valid, and its exact numeric form where Parquet needs one. The transform's derivation,
 * shared/parquet and the load's staging check all ask here; none keeps patterns of its own.
 *
 *   int       → number, a 32-bit integer
 *   decimal   → string '-?digits(.digits)?' (exact; never a binary float)
 *   text      → string
 *   boolean   → boolean
 *   date      → 'YYYY-MM-DD', a real calendar day
 *   time      → 'HH:MM:SS.mmm' (milliseconds, as time(3) and Parquet TIME(MILLIS))
 *   timestamp → 'YYYY-MM-DD HH:MM:SS.mmm' (UTC wall clock, milliseconds)
 *
 * Checks return `undefined` (or false) for a bad value instead of throwing: each caller words the
 * failure in its own error class (WrongValueTypeError, ParquetValueError, BadUnitError).
 */

export type ValueKind = 'int' | 'decimal' | 'text' | 'date' | 'time' | 'timestamp' | 'boolean';

export const VALUE_KINDS: readonly ValueKind[] = [
  'int',
  'decimal',
  'text',
  'date',
  'time',
  'timestamp',
  'boolean',
];

export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

const DAY_MS = 86_400_000;
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

export interface DecimalParts {
  readonly negative: boolean;
  /** Integer digits as written (leading zeros kept). */
  readonly whole: string;
  /** Fraction digits as written ('' when there is no point). */
  readonly fraction: string;
}

/** '-12.30' → { negative, whole: '12', fraction: '30' }; undefined when not a decimal string. */
export function decimalParts(value: string): DecimalParts | undefined {
  const match = DECIMAL.exec(value);
  if (!match) return undefined;
  return { negative: match[1] !== undefined, whole: match[2]!, fraction: match[3] ?? '' };
}

export function isDecimal(value: unknown): value is string {
  return typeof value === 'string' && isDecimalText(value);
}

const isDigitCode = (code: number) => code >= 48 && code <= 57;

/**
 * Whether `value` is written '-?digits(.digits)?' (scanDecimal's grammar), without building a scan:
 * validation checks every decimal of a unit and needs only the answer (an object per value was
 * garbage the transform had to collect).
 */
function isDecimalText(value: string): boolean {
  let i = value.charCodeAt(0) === 45 ? 1 : 0; // '-'
  const wholeStart = i;
  while (isDigitCode(value.charCodeAt(i))) i++; // NaN past the end: not a digit
  if (i === wholeStart) return false;
  if (i === value.length) return true;
  if (value.charCodeAt(i) !== 46) return false; // '.'
  const fractionStart = ++i;
  while (isDigitCode(value.charCodeAt(i))) i++;
  return i > fractionStart && i === value.length;
}

/** Integer digits of decimal parts, leading zeros ignored ('0.29' → 0, '-123.4' → 3). */
export function integerDigits(parts: DecimalParts): number {
  return parts.whole.replace(/^0+/, '').length;
}

/**
 * A decimal string read once, character by character (no regex, no substrings: the transform reads
 * two or three decimals per fact row and the load checks them again).
 */
export interface DecimalScan {
  readonly negative: boolean;
  /** Digits from the first non-zero digit (integer or fraction) to the end: '-0.050' → 2, '0' → 0. */
  readonly significant: number;
  /** Fraction digits as written ('2.570' → 3, '10' → 0). */
  readonly scale: number;
  /**
   * The digits without the point as an integer ('-12.30' → 1230), exact when `significant` is at
   * most 15 (below 2^53); NaN otherwise (use the text).
   */
  readonly digits: number;
}

const MAX_EXACT_DIGITS = 15;

/** Scans a decimal string '-?digits(.digits)?' (the DECIMAL pattern); undefined when it is not one. */
export function scanDecimal(value: string): DecimalScan | undefined {
  const length = value.length;
  let i = 0;
  const negative = length > 0 && value.charCodeAt(0) === 45; // '-'
  if (negative) i = 1;
  let significant = 0;
  let digits = 0;
  let integerDigitsWritten = 0;
  let scale = -1; // -1: no point seen yet
  for (; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code === 46) {
      // '.': once, after at least one integer digit
      if (scale !== -1 || integerDigitsWritten === 0) return undefined;
      scale = 0;
      continue;
    }
    const d = code - 48;
    if (d < 0 || d > 9) return undefined;
    if (scale === -1) integerDigitsWritten++;
    else scale++;
    if (significant > 0 || d !== 0) significant++;
    digits = digits * 10 + d;
  }
  if (integerDigitsWritten === 0 || scale === 0) return undefined; // '', '-', '.5', '5.'
  return {
    negative,
    significant,
    scale: scale === -1 ? 0 : scale,
    digits: significant <= MAX_EXACT_DIGITS ? digits : Number.NaN,
  };
}

/** Integer digits of a scanned decimal, leading zeros ignored ('0.29' → 0, '-123.4' → 3). */
export function scannedIntegerDigits(scan: DecimalScan): number {
  return Math.max(0, scan.significant - scan.scale);
}

/** Whether a decimal string is held by numeric(precision, scale) without being altered. */
export function fitsDecimal(value: string, precision: number, scale: number): boolean {
  const scan = scanDecimal(value);
  return scan !== undefined && scan.scale <= scale && scannedIntegerDigits(scan) <= precision - scale;
}

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Days of each month of a common year, by month number (a constant: checked for every date read). */
const MONTH_DAYS: readonly number[] = [31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year` in the proleptic Gregorian calendar (PostgreSQL's `date`). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return MONTH_DAYS[month] ?? 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian day, by arithmetic alone (H. Hinnant's
 * days_from_civil). Not `Date.UTC`: it maps years 0–99 to 1900–1999, so '0001-01-01' came out
 * as 1901.
 */
export function civilToDays(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The proleptic Gregorian day of a day number since 1970-01-01 (inverse of `civilToDays`). */
export function daysToCivil(days: number): {
  readonly year: number;
  readonly month: number;
  readonly day: number;
} {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** ISO weekday of a day number since 1970-01-01 (a Thursday): Monday 1 … Sunday 7. */
export function isoWeekday(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/**
 * Days since 1970-01-01 of the 'YYYY-MM-DD' written at `start` of `value` (years 0001–9999, a real
 * calendar day), or undefined. Read digit by digit, without a substring: every fact row has several dates
 * and timestamps, checked by the transform and again by the load.
 */
function daysAt(value: string, start: number): number | undefined {
  if (value.charCodeAt(start + 4) !== 45 || value.charCodeAt(start + 7) !== 45) return undefined; // '-'
  const year = digitsAt(value, start, 4);
  const month = digitsAt(value, start + 5, 2);
  const day = digitsAt(value, start + 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return civilToDays(year, month, day);
}

/**
 * Days since 1970-01-01 of a 'YYYY-MM-DD' real calendar day of years 0001–9999 (what PostgreSQL's
 * `date` holds in that form; it has no year 0); undefined otherwise.
 */
export function dateToDays(value: string): number | undefined {
  return value.length === 10 ? daysAt(value, 0) : undefined;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function daysToDate(days: number): string {
  const { year, month, day } = daysToCivil(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** The number written by `length` ASCII digits at `start`, or -1 if any is not a digit. */
function digitsAt(value: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Milliseconds since midnight of the 'HH:MM:SS.mmm' written at `start` of `value`, or undefined. */
function timeMillisAt(value: string, start: number): number | undefined {
  if (
    value.charCodeAt(start + 2) !== 58 || // ':'
    value.charCodeAt(start + 5) !== 58 ||
    value.charCodeAt(start + 8) !== 46 // '.'
  )
    return undefined;
  const h = digitsAt(value, start, 2);
  const m = digitsAt(value, start + 3, 2);
  const s = digitsAt(value, start + 6, 2);
  const ms = digitsAt(value, start + 9, 3);
  if (h < 0 || m < 0 || s < 0 || ms < 0 || h > 23 || m > 59 || s > 59) return undefined;
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

/**
 * Milliseconds since midnight of an 'HH:MM:SS.mmm' time of day; undefined otherwise. Read digit by
 * digit, not by a regex: the load checks two times per fact row.
 */
export function timeToMillis(value: string): number | undefined {
  return value.length === 12 ? timeMillisAt(value, 0) : undefined;
}

export function millisToTime(millis: number): string {
  const s = Math.floor(millis / 1000);
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(millis % 1000, 3)}`;
}

/** The number written by the two ASCII digits at `start`, or -1 (NaN past the end: not a digit). */
function twoDigitsAt(text: string, start: number): number {
  const tens = text.charCodeAt(start) - 48;
  const ones = text.charCodeAt(start + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/**
 * Whether `value` is a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp string: years 0001–9999, a real calendar
 * day, a valid time of day (what `timestampToMillis` reads). No calendar arithmetic: validation
 * checks two timestamps per row of every table and needs only the answer.
 */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 23) return false;
  if (
    value.charCodeAt(4) !== 45 || // '-'
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 32 || // ' '
    value.charCodeAt(13) !== 58 || // ':'
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 // '.'
  )
    return false;
  const century = twoDigitsAt(value, 0);
  const yearOfCentury = twoDigitsAt(value, 2);
  const month = twoDigitsAt(value, 5);
  const day = twoDigitsAt(value, 8);
  const hour = twoDigitsAt(value, 11);
  const minute = twoDigitsAt(value, 14);
  const second = twoDigitsAt(value, 17);
  const centiseconds = twoDigitsAt(value, 20);
  const milliseconds = value.charCodeAt(22) - 48;
  if ((century | yearOfCentury | day | hour | minute | second | centiseconds) < 0) return false;
  if (!(milliseconds >= 0 && milliseconds <= 9)) return false;
  if (century + yearOfCentury === 0 || month < 1 || month > 12 || day < 1) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  return day <= 28 || day <= daysInMonth(century * 100 + yearOfCentury, month);
}

/** Milliseconds since the epoch of a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp; undefined otherwise. */
export function timestampToMillis(value: string): number | undefined {
  if (value.length !== 23 || value.charCodeAt(10) !== 32) return undefined; // ' '
  const days = daysAt(value, 0);
  const time = timeMillisAt(value, 11);
  if (days === undefined || time === undefined) return undefined;
  return days * DAY_MS + time;
}

export function millisToTimestamp(millis: bigint | number): string {
  const ms = Number(millis);
  const days = Math.floor(ms / DAY_MS);
  return `${daysToDate(days)} ${millisToTime(ms - days * DAY_MS)}`;
}

const IS_KIND: Readonly<Record<ValueKind, (value: unknown) => boolean>> = {
  int: isInt32,
  decimal: isDecimal,
  text: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && dateToDays(v) !== undefined,
  time: (v) => typeof v === 'string' && timeToMillis(v) !== undefined,
  timestamp: isTimestamp,
};

/** Whether `value` (not null) is a valid value of `kind` in its stage-to-stage form. */
export function isValueOf(kind: ValueKind, value: unknown): boolean {
  return IS_KIND[kind](value);
}

/** How a kind is named in an error message ("… is not a calendar date 'YYYY-MM-DD'"). */
export const KIND_DESCRIPTION: Readonly<Record<ValueKind, string>> = {
  int: 'a 32-bit integer',
  decimal: "a decimal string like '2.57'",
  text: 'a string',
  boolean: 'a boolean',
  date: "a calendar date 'YYYY-MM-DD'",
  time: "a time of day 'HH:MM:SS.mmm'",
  timestamp: "a timestamp 'YYYY-MM-DD HH:MM:SS.mmm'",
};
