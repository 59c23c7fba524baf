/**
 * UTC wall-clock formatting for the generator. Source timestamps are `timestamp(3)` meaning UTC
 * ('YYYY-MM-DD HH:MM:SS.mmm'); agreed dates are 10-character 'YYYY-MM-DD' strings.
 */

const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' per day number (days since the epoch): the generator formats millions of dates. */
const dayCache = new Map<number, string>();

function dayText(day: number): string {
  let text = dayCache.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayCache.size < 100_000) dayCache.set(day, text);
  }
  return text;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Epoch milliseconds -> 'YYYY-MM-DD HH:MM:SS.mmm' (UTC). */
export function formatTimestamp(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`not an integer millisecond instant: ${ms}`);
  const day = Math.floor(ms / DAY_MS);
  const inDay = ms - day * DAY_MS;
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor((inDay % 3_600_000) / 60_000);
  const sec = Math.floor((inDay % 60_000) / 1000);
  const milli = inDay % 1000;
  return `${dayText(day)} ${pad2(h)}:${pad2(m)}:${pad2(sec)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}`;
}

/** Epoch milliseconds -> 'YYYY-MM-DD' (UTC). */
export function formatDate(ms: number): string {
  return dayText(Math.floor(ms / DAY_MS));
}

/** Epoch milliseconds of midnight UTC of the day containing `ms`, plus `days` days, as 'YYYY-MM-DD'. */
export function dateAfter(ms: number, days: number): string {
  return dayText(Math.floor(ms / DAY_MS) + days);
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' (UTC) -> epoch milliseconds. */
export function parseTimestamp(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${text}`);
  return ms;
}

export { DAY_MS };
