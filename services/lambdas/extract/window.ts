/**
 * Pure window and watermark arithmetic of the extract (no I/O, no Lambda clock).
 *
 * The no-loss method (see README.md beside this file):
 *
 * - Each run reads, inside ONE repeatable-read snapshot, every row of a table with
 *   `last_updated >= watermark` (inclusive: several rows share one millisecond). There is no upper
 *   bound on the read, so every row committed before the run's snapshot is in this run's unit or
 *   an earlier one.
 * - The watermark then advances only to the *commit horizon* (commitHorizon below): a time before
 *   which no transaction still uncommitted at the snapshot can stamp a row. Its privilege-free part
 *   comes from horizon.ts (which transactions were in progress at an earlier reading, and whether
 *   all of them have ended); with pg_read_all_stats the start of the oldest open transaction also
 *   bounds it; now() − safety margin always does. A row invisible to the snapshot is then stamped
 *   at or after the new watermark and the next run reads it. (Assumes writers stamp their
 *   transaction's database clock as UTC wall clock, which the spec requires; the horizon is read in
 *   UTC too.) The safety margin additionally covers writers whose `last_updated` is not from the
 *   database clock of their own transaction (a client clock): such a row is still caught if it
 *   commits less than `safetyMargin` after the time it carries.
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

export interface HorizonBounds {
  /** The database's now() at the run's reading (UTC wall clock, microseconds allowed). */
  readonly now: string;
  /**
   * xact_start of the oldest other open transaction the role can SEE in pg_stat_activity (all of
   * them with pg_read_all_stats; only its own role's sessions without), or null when none.
   */
  readonly oldestOpenTransaction: string | null;
  /**
   * The privilege-free bound (horizon.ts): floor_ms(at) of the newest reading whose transactions
   * have all ended before this run's snapshot; null when none has (the watermark then stays).
   */
  readonly settled: Timestamp | null;
}

export type HorizonLimit = 'safety-margin' | 'open-transaction' | 'running-transactions';

export interface CommitHorizon {
  /** The new watermark's upper bound, or null: no bound is known yet, the watermark stays. */
  readonly horizon: Timestamp | null;
  /** Which bound is the earliest (for the log and the HorizonLag metric). */
  readonly limitedBy: HorizonLimit;
}

/**
 * The commit horizon: no transaction that was not yet committed at this run's snapshot can write a
 * row stamped (from its own database clock) earlier than this. The earliest of
 *  - now() − safety margin (writers stamping from another clock, and the microseconds between a
 *    statement's arrival, which fixes its now(), and its transaction becoming visible);
 *  - the start of the oldest open transaction the role can see (pg_stat_activity);
 *  - the privilege-free bound (horizon.ts), which needs no privilege and sees every session.
 * Floored to the millisecond because `timestamp(3)` ROUNDS a microsecond clock to the nearest
 * millisecond (a transaction starting at .1234 ms can stamp .123).
 */
export function commitHorizon(bounds: HorizonBounds, safetyMarginMs: number): CommitHorizon {
  if (!Number.isFinite(safetyMarginMs) || safetyMarginMs < 0) {
    throw new RangeError(`safety margin must be a non-negative number of ms, got ${safetyMarginMs}`);
  }
  if (bounds.settled === null) return { horizon: null, limitedBy: 'running-transactions' };
  let horizon = timestampToMs(bounds.now) - safetyMarginMs;
  let limitedBy: HorizonLimit = 'safety-margin';
  if (bounds.oldestOpenTransaction !== null && timestampToMs(bounds.oldestOpenTransaction) < horizon) {
    horizon = timestampToMs(bounds.oldestOpenTransaction);
    limitedBy = 'open-transaction';
  }
  if (timestampToMs(bounds.settled) < horizon) {
    horizon = timestampToMs(bounds.settled);
    limitedBy = 'running-transactions';
  }
  return { horizon: msToTimestamp(horizon), limitedBy };
}

/** Watermarks never move backwards, whatever the horizon says (clock steps, a held horizon). */
export function nextWatermark(previous: Timestamp | null, horizon: Timestamp | null): Timestamp | null {
  if (previous === null || horizon === null) return previous ?? horizon;
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

/**
 * Where a table's state stands between runs: read `last_updated >= watermark`, except the versions
 * already delivered — those in `tail`, and (after a run that stopped at its row budget) those
 * stamped exactly `watermark` with an id up to `after`.
 */
export interface TablePosition {
  readonly watermark: Timestamp | null;
  readonly tail: readonly string[] | null;
  /** At `watermark` itself, ids up to this one are delivered; null when none is known. */
  readonly after: number | null;
}

/** How far a run read a table in its snapshot. */
export type TableReadEnd =
  /** Every row of the snapshot with last_updated >= watermark was read. */
  | { readonly kind: 'complete' }
  /** The run's row budget ran out; this (last_updated, id) was the last row read (keyset order). */
  | { readonly kind: 'stopped'; readonly lastUpdated: Timestamp; readonly id: number }
  /** The budget ran out before this table was reached: nothing read. */
  | { readonly kind: 'unread' };

/**
 * The table's position for the next run, lossless for all three ends (README.md, "A large first
 * load or backlog"):
 *
 * - complete: the watermark moves to the commit horizon (never backwards); the tail keeps the
 *   delivered versions the next run reads again.
 * - stopped at P = (t, id) with t before the horizon: every version stamped before the horizon was
 *   committed at the snapshot (a transaction not yet committed stamps at or after the horizon), so
 *   every version up to P in (last_updated, id) order was read, and no version up to P can appear
 *   later. The watermark moves to t (not further: the rest of the table is unread) and `after` = id
 *   marks the versions at t already delivered (however many share that millisecond).
 * - stopped at or after the horizon: as complete. The unread rows follow P in keyset order, so
 *   they are stamped at or after t, hence at or after the new watermark, and the next run reads them.
 * - unread: unchanged.
 * Null when there is still no safe watermark (the first run, transactions from before it still
 * open): the next run reads everything again.
 */
export function nextTablePosition(
  previous: TablePosition,
  horizon: Timestamp | null,
  emitted: Iterable<string>,
  end: TableReadEnd,
  cap: number,
): TablePosition | null {
  if (end.kind === 'unread') return previous.watermark === null ? null : previous;
  if (end.kind === 'stopped' && horizon !== null && end.lastUpdated < horizon) {
    if (previous.watermark !== null && end.lastUpdated < previous.watermark) {
      throw new RangeError(`stopped at ${end.lastUpdated}, before the watermark ${previous.watermark}`);
    }
    // Versions emitted this run all sort at or before P: those at t are covered by `after`.
    return {
      watermark: end.lastUpdated,
      tail: nextTail(previous.tail, [], end.lastUpdated, cap),
      after: end.id,
    };
  }
  const watermark = nextWatermark(previous.watermark, horizon);
  if (watermark === null) return null;
  return {
    watermark,
    tail: nextTail(previous.tail, emitted, watermark, cap),
    // Still true while the watermark stays where it was.
    after: watermark === previous.watermark ? previous.after : null,
  };
}
