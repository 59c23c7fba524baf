/**
 * Pure window and watermark arithmetic of the extract (no I/O, no Lambda clock).
 *
 * The no-loss method (see README.md beside this file):
 *
 * - Each run reads, inside ONE repeatable-read snapshot, every row of a table with
 *   `last_updated >= watermark` (inclusive: several rows share one millisecond). There is no upper
 *   bound on the read, so every row committed before the run's snapshot is in this run's unit or
 *   an earlier one.
 * - The watermark then advances only to the *commit horizon*, measured on the database's clock just
 *   BEFORE the snapshot is taken:
 *     horizon = floor_ms( min( now() - safetyMargin, xact_start of every other open transaction ) )
 *   A row invisible to the snapshot belongs to a transaction that was open at the horizon read (so
 *   its rows are stamped at or after that transaction's start, hence >= horizon) or that started
 *   later (stamped after now() >= horizon). Either way it is >= the new watermark and the next run
 *   reads it. (Assumes writers stamp their transaction's database clock as UTC wall clock, which
 *   the spec requires; the horizon is read in UTC too.) The safety margin additionally covers writers whose `last_updated` is not from the
 *   database clock of their own transaction (a client clock, a session we cannot observe): such a
 *   row is still caught if it commits less than `safetyMargin` after the time it carries.
 * - Rows at or after the new watermark are read again by the next run; their (id, last_updated)
 *   versions are remembered in the watermark item (the "tail") so the next run does not emit the
 *   same version twice. When the tail would be too large it is dropped and the next run re-emits
 *   those versions (harmless: the warehouse stores each fact version once, dimensions newest-wins).
 */
import { civilToDays } from '../../../shared/schema/value-kinds.ts';

/** 'YYYY-MM-DD HH:MM:SS.mmm', the lake's timestamp text (UTC wall clock, three fraction digits). */
export type Timestamp = string;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** Milliseconds since the epoch of a database timestamp text (fractions below 1 ms truncated). */
export function timestampToMs(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const fraction = (m[7] ?? '').padEnd(3, '0').slice(0, 3);
  // Calendar arithmetic, not Date.UTC (which maps years 0–99 to 1900–1999).
  const days = civilToDays(Number(m[1]), Number(m[2]), Number(m[3]));
  return ((days * 24 + Number(m[4])) * 60 + Number(m[5])) * 60_000 + Number(m[6]) * 1000 + Number(fraction);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function msToTimestamp(ms: number): Timestamp {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** Truncates a database timestamp (any precision) to the millisecond: the floor, never rounded up. */
export function floorToMs(text: string): Timestamp {
  return msToTimestamp(timestampToMs(text));
}

export interface ClockReading {
  /** The database's now() (UTC wall clock, microseconds allowed). */
  readonly now: string;
  /** xact_start of the oldest other open transaction in the database, or null when none. */
  readonly oldestOpenTransaction: string | null;
}

/**
 * The commit horizon: no transaction that was not yet committed at the reading can write a row
 * stamped (from its own database clock) earlier than this. Floored to the millisecond because
 * `timestamp(3)` ROUNDS a microsecond clock to the nearest millisecond (a transaction starting at
 * .1234 ms can stamp .123).
 */
export function commitHorizon(clock: ClockReading, safetyMarginMs: number): Timestamp {
  if (!Number.isFinite(safetyMarginMs) || safetyMarginMs < 0) {
    throw new RangeError(`safety margin must be a non-negative number of ms, got ${safetyMarginMs}`);
  }
  let horizon = timestampToMs(clock.now) - safetyMarginMs;
  if (clock.oldestOpenTransaction !== null) {
    horizon = Math.min(horizon, timestampToMs(clock.oldestOpenTransaction));
  }
  return msToTimestamp(horizon);
}

/** Watermarks never move backwards, whatever the horizon says (clock steps, a held horizon). */
export function nextWatermark(previous: Timestamp | null, horizon: Timestamp): Timestamp {
  if (previous === null) return horizon;
  return previous > horizon ? previous : horizon;
}

/** A row version's identity within a table: last_updated then id (sorts by time). */
export function versionKey(id: number, lastUpdated: Timestamp): string {
  return `${lastUpdated}|${id}`;
}

export function versionKeyTimestamp(key: string): Timestamp {
  const bar = key.indexOf('|');
  return bar < 0 ? key : key.slice(0, bar);
}

/**
 * The versions to remember for the next run: every version already delivered (this run's changed
 * rows plus the remembered tail) that the next run will read again, i.e. stamped at or after the
 * new watermark. Null when there are more than `cap` (the next run then re-emits them).
 */
export function nextTail(
  previousTail: readonly string[] | null,
  emitted: Iterable<string>,
  watermark: Timestamp,
  cap: number,
): string[] | null {
  const keep = new Set<string>();
  for (const key of previousTail ?? []) if (versionKeyTimestamp(key) >= watermark) keep.add(key);
  for (const key of emitted) {
    if (versionKeyTimestamp(key) >= watermark) {
      keep.add(key);
      if (keep.size > cap) return null;
    }
  }
  if (keep.size > cap) return null;
  return [...keep].sort();
}

/** Later of two timestamps (null-safe). */
export function latest(a: Timestamp | null, b: Timestamp | null): Timestamp | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
