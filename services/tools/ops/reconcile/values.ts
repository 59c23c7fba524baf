/**
 * Small pure functions behind the reconcile expectation: exact decimal equality, the dim_date
 * attributes of spec §3, the currency name, and timestamp splitting. No I/O, no floating point.
 */

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * The canonical text of a decimal ('2.50' → '2.5', '-0.00' → '0', '007' → '7'), so that numeric
 * equality is string equality. Text that is not a plain decimal is returned unchanged.
 */
export function canonicalDecimal(value: string): string {
  const match = DECIMAL.exec(value.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return value;
  const integer = (match[2] ?? '').replace(/^0+/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const body = fraction ? `${integer}.${fraction}` : integer;
  const negative = match[1] === '-' && body !== '0';
  return negative ? `-${body}` : body;
}

export type ColumnKind = 'text' | 'numeric';

/** Exact comparison of two values as text; numerics by value; null equals only null. */
export function valuesEqual(kind: ColumnKind, expected: string | null, actual: string | null): boolean {
  if (expected === null || actual === null) return expected === actual;
  if (kind === 'numeric') return canonicalDecimal(expected) === canonicalDecimal(actual);
  return expected === actual;
}

// Deliberate copies: the day and month names, and the dim_date, currency-name and timestamp rules
// below, are written again here on purpose (the transform has its own in derive.ts and
// shared/schema). The oracle must not import the pipeline's derivations, or a wrong rule would agree
// with itself; keep it independent (README.md).
export const DAY_NAMES = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

export interface DateAttributes {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** ISO 8601: Monday 1 … Sunday 7. */
  readonly day_of_week: number;
  readonly day_name: string;
  readonly month_name: string;
  readonly quarter: number;
}

/** The dim_date attributes of a 'YYYY-MM-DD' date (spec §3); throws on anything else. */
export function dateAttributes(dateId: string): DateAttributes {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateId);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(dateId)}`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new RangeError(`not a calendar date: ${dateId}`);
  }
  const isoDay = ((date.getUTCDay() + 6) % 7) + 1;
  return {
    year,
    month,
    day,
    day_of_week: isoDay,
    day_name: DAY_NAMES[isoDay - 1]!,
    month_name: MONTH_NAMES[month - 1]!,
    quarter: Math.floor((month - 1) / 3) + 1,
  };
}

const currencyNames = new Intl.DisplayNames(['en'], { type: 'currency' });

/**
 * The English CLDR name of a currency code (spec §3), or null when CLDR has none (the call
 * returns the code itself): such a record is bad input and must not reach the warehouse.
 */
export function currencyName(code: string): string | null {
  let name: string | undefined;
  try {
    name = currencyNames.of(code);
  } catch {
    return null;
  }
  return name === undefined || name === code ? null : name;
}

export interface SplitTimestamp {
  /** 'YYYY-MM-DD' */
  readonly date: string;
  /** 'HH:MM:SS.mmm' (always three fraction digits) */
  readonly time: string;
}

/**
 * Splits a source timestamp ('YYYY-MM-DD HH:MM:SS[.f…]', space or 'T') into the warehouse's date
 * and time(3) text. More than three fraction digits is rejected: the source is timestamp(3).
 */
export function splitTimestamp(timestamp: string): SplitTimestamp {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,3}))?$/.exec(timestamp.trim());
  if (!match) throw new RangeError(`not a timestamp(3): ${JSON.stringify(timestamp)}`);
  return { date: match[1]!, time: `${match[2]}.${(match[3] ?? '').padEnd(3, '0')}` };
}
