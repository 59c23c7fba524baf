/**
 * The replay window: which units `totes replay --from T --to T` takes. Pure.
 *
 * A unit belongs to the window when its run id's time — the source database's clock when the
 * extract started the run, the same clock as the manifest's `extractedAt` — is in [from, to).
 * Run ids sort by that time and name their day in the key (`units/YYYY/MM/DD/<runId>/`), so the
 * window's units are found by listing one prefix per UTC day, without reading every manifest.
 */

export class ReplayWindowError extends Error {
  override name = 'ReplayWindowError';
}

export interface ReplayWindow {
  /** Inclusive, milliseconds since the epoch (UTC). */
  readonly from: number;
  /** Exclusive. */
  readonly to: number;
}

/** Most days one replay lists (a window of more than a year is almost certainly a typo). */
export const MAX_WINDOW_DAYS = 366;

const DAY_MS = 86_400_000;

/**
 * A time given on the command line: ISO 8601 (`2026-11-30T14:00:00Z`, `2026-11-30 14:00`,
 * `2026-11-30`); without a zone it means UTC, as every time in the pipeline does.
 */
export function parseTime(value: string, flag: string): number {
  const trimmed = value.trim();
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(
      trimmed,
    );
  if (!match) {
    throw new ReplayWindowError(
      `${flag}: ${JSON.stringify(value)} is not a time (expected ISO 8601, e.g. 2026-11-30T14:00:00Z; no zone means UTC)`,
    );
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', ms = '0', zone = 'Z'] = match;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms.padEnd(3, '0')}${zone}`;
  const time = Date.parse(iso);
  const roundTrip = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (
    Number.isNaN(time) ||
    roundTrip.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw new ReplayWindowError(`${flag}: ${JSON.stringify(value)} is not a valid date and time`);
  }
  return time;
}

export function replayWindow(from: string, to: string): ReplayWindow {
  const window = { from: parseTime(from, '--from'), to: parseTime(to, '--to') };
  if (window.to <= window.from) throw new ReplayWindowError('--to must be later than --from');
  if (window.to - window.from > MAX_WINDOW_DAYS * DAY_MS) {
    throw new ReplayWindowError(`the window spans more than ${MAX_WINDOW_DAYS} days; replay it in parts`);
  }
  return window;
}

/** The time a run id carries (`20261130T140501123Z-ab12cd34`), or null when it carries none. */
export function runIdTime(runId: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(runId);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, ms] = match;
  const time = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  return Number.isNaN(time) ? null : time;
}

export function inWindow(window: ReplayWindow, runId: string): boolean {
  const time = runIdTime(runId);
  return time !== null && time >= window.from && time < window.to;
}

/** `units/YYYY/MM/DD/` of every UTC day the window touches, in order. */
export function dayPrefixes(window: ReplayWindow): string[] {
  const prefixes: string[] = [];
  const last = window.to - 1;
  for (let day = Math.floor(window.from / DAY_MS) * DAY_MS; day <= last; day += DAY_MS) {
    const date = new Date(day).toISOString();
    prefixes.push(`units/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/`);
  }
  return prefixes;
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}
