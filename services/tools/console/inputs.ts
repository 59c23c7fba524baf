/**
 * Validation of everything a request carries (query strings, form fields). Each failure is an
 * InputError with one clear sentence; the server answers 400 with it.
 */

export class InputError extends Error {
  override name = 'InputError';
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date `YYYY-MM-DD` that exists (2023-02-30 does not). */
export function parseDate(value: string, field: string): string {
  const match = DATE.exec(value);
  if (!match) throw new InputError(`${field}: expected a date as YYYY-MM-DD, got "${value.slice(0, 40)}"`);
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (
    date.getUTCFullYear() !== Number(y) ||
    date.getUTCMonth() !== Number(m) - 1 ||
    date.getUTCDate() !== Number(d)
  ) {
    throw new InputError(`${field}: ${value} is not a day of the calendar`);
  }
  return value;
}

export interface DateRange {
  readonly from: string | null;
  readonly to: string | null;
}

/** Optional `from` / `to` (inclusive); empty means open-ended; from must not be after to. */
export function parseDateRange(params: URLSearchParams): DateRange {
  const get = (name: string) => {
    const value = params.get(name)?.trim() ?? '';
    return value === '' ? null : parseDate(value, name);
  };
  const range = { from: get('from'), to: get('to') };
  if (range.from && range.to && range.from > range.to) {
    throw new InputError(`from (${range.from}) is after to (${range.to})`);
  }
  return range;
}

/** ISO 4217-shaped code (the warehouse's dim_currency.currency_code). */
export function parseCurrency(value: string | null): string | null {
  const code = value?.trim().toUpperCase() ?? '';
  if (code === '') return null;
  if (!/^[A-Z]{3}$/.test(code)) {
    throw new InputError(`currency: expected a three-letter code such as GBP, got "${code.slice(0, 20)}"`);
  }
  return code;
}

/** SQS message ids are at most 100 characters of letters, digits, '-' and '_' (UUIDs in practice). */
export function parseMessageId(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(value)) {
    throw new InputError(
      `message id: expected letters, digits, "-" or "_" (as the page lists it), got "${value.slice(0, 40)}"`,
    );
  }
  return value;
}

/** SQS queue names: 1-80 letters, digits, '-' and '_'. Whether it is a known DLQ is checked later. */
export function parseQueueName(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(value)) {
    throw new InputError(`queue: expected a queue name as the page lists it, got "${value.slice(0, 40)}"`);
  }
  return value;
}
