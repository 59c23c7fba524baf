/**
 * UTC wall-clock formatting for the generator. Source timestamps are `timestamp(3)` meaning UTC
 * ('YYYY-MM-DD HH:MM:SS.mmm'); agreed dates are 10-character 'YYYY-MM-DD' strings.
 */

const DAY_MS = 86_400_000;

/** Epoch milliseconds -> 'YYYY-MM-DD HH:MM:SS.mmm' (UTC). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

/** Epoch milliseconds -> 'YYYY-MM-DD' (UTC). */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch milliseconds of midnight UTC of the day containing `ms`, plus `days` days, as 'YYYY-MM-DD'. */
export function dateAfter(ms: number, days: number): string {
  return formatDate(Math.floor(ms / DAY_MS) * DAY_MS + days * DAY_MS);
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' (UTC) -> epoch milliseconds. */
export function parseTimestamp(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${text}`);
  return ms;
}

export { DAY_MS };
