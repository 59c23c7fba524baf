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
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

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
  return typeof value === 'string' && DECIMAL.test(value);
}

/** Integer digits of decimal parts, leading zeros ignored ('0.29' → 0, '-123.4' → 3). */
export function integerDigits(parts: DecimalParts): number {
  return parts.whole.replace(/^0+/, '').length;
}

/** Whether a decimal string is held by numeric(precision, scale) without being altered. */
export function fitsDecimal(value: string, precision: number, scale: number): boolean {
  const parts = decimalParts(value);
  return parts !== undefined && parts.fraction.length <= scale && integerDigits(parts) <= precision - scale;
}

/** Days proven valid (they repeat heavily within a unit); bounded. */
const dayCache = new Map<string, number>();

/** Days since 1970-01-01 of a 'YYYY-MM-DD' real calendar day; undefined otherwise. */
export function dateToDays(value: string): number | undefined {
  const cached = dayCache.get(value);
  if (cached !== undefined) return cached;
  const match = DATE.exec(value);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Date.UTC rolls 2023-02-30 over into March: the day must read back as written.
  if (new Date(ms).toISOString().slice(0, 10) !== value) return undefined;
  if (dayCache.size > 100_000) dayCache.clear();
  dayCache.set(value, ms / DAY_MS);
  return ms / DAY_MS;
}

export function daysToDate(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
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

/**
 * Milliseconds since midnight of an 'HH:MM:SS.mmm' time of day; undefined otherwise. Read digit by
 * digit, not by a regex: the load checks two times per fact row.
 */
export function timeToMillis(value: string): number | undefined {
  if (value.length !== 12 || value[2] !== ':' || value[5] !== ':' || value[8] !== '.') return undefined;
  const h = digitsAt(value, 0, 2);
  const m = digitsAt(value, 3, 2);
  const s = digitsAt(value, 6, 2);
  const ms = digitsAt(value, 9, 3);
  if (h < 0 || m < 0 || s < 0 || ms < 0 || h > 23 || m > 59 || s > 59) return undefined;
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

export function millisToTime(millis: number): string {
  return new Date(millis).toISOString().slice(11, 23);
}

/** Milliseconds since the epoch of a 'YYYY-MM-DD HH:MM:SS.mmm' timestamp; undefined otherwise. */
export function timestampToMillis(value: string): number | undefined {
  if (value.length !== 23 || value[10] !== ' ') return undefined;
  const days = dateToDays(value.slice(0, 10));
  const time = timeToMillis(value.slice(11));
  if (days === undefined || time === undefined) return undefined;
  return days * DAY_MS + time;
}

export function millisToTimestamp(millis: bigint | number): string {
  return new Date(Number(millis)).toISOString().slice(0, 23).replace('T', ' ');
}

const IS_KIND: Readonly<Record<ValueKind, (value: unknown) => boolean>> = {
  int: isInt32,
  decimal: isDecimal,
  text: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && dateToDays(v) !== undefined,
  time: (v) => typeof v === 'string' && timeToMillis(v) !== undefined,
  timestamp: (v) => typeof v === 'string' && timestampToMillis(v) !== undefined,
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
