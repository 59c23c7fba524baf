/**
 * Do the source's `last_updated` values look like UTC wall clock? Pure judgement over what the
 * source check measured. The pipeline's no-loss bound assumes UTC stamps (services/lambdas/extract
 * README); a writer stamping local time west of UTC writes rows hours behind the watermark.
 *
 * The evidence, strongest first (gap = the database's now() in UTC minus a table's newest
 * last_updated; negative = in the future):
 * 1. a newest value more than a minute in the future: stamped east of UTC (or a fast clock) — WARN;
 * 2. the newest change overall is behind by the session TimeZone's own offset (±5 min) while that
 *    zone is west of UTC: writers stamp local time with now() — WARN;
 * 3. the newest change is under 15 minutes old: an active source stamping UTC — OK;
 * 4. the newest change is a whole number of hours old (1–14 h, ±2 min): the signature of a local
 *    clock if the source is busy, or a coincidence if it is quiet — WARN, saying so;
 * 5. otherwise the source is quiet and nothing suggests local time — OK, saying the check is weak.
 */

export interface TableRecency {
  readonly table: string;
  /** Seconds from the table's newest last_updated to the database's UTC now; null: no rows. */
  readonly gapSeconds: number | null;
}

export interface UtcJudgement {
  readonly looksUtc: boolean;
  readonly detail: string;
}

const FUTURE_TOLERANCE_S = 60;
const ACTIVE_S = 15 * 60;
const OFFSET_TOLERANCE_S = 5 * 60;
const WHOLE_HOUR_TOLERANCE_S = 2 * 60;

function human(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 120) return `${s}s`;
  const minutes = Math.round(s / 60);
  if (minutes < 59) return `${minutes}min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h}h` : `${h}h${String(m).padStart(2, '0')}`;
}

export function judgeUtc(tables: readonly TableRecency[], sessionOffsetSeconds: number): UtcJudgement {
  const measured = tables.filter((t): t is TableRecency & { gapSeconds: number } => t.gapSeconds !== null);
  if (measured.length === 0) return { looksUtc: true, detail: 'no rows yet: nothing to judge' };
  const future = measured.filter((t) => t.gapSeconds < -FUTURE_TOLERANCE_S);
  if (future.length > 0) {
    const worst = future.reduce((a, b) => (a.gapSeconds < b.gapSeconds ? a : b));
    return {
      looksUtc: false,
      detail: `newest ${worst.table}.last_updated is ${human(worst.gapSeconds)} ahead of the database's UTC now (${future.map((t) => t.table).join(', ')} in the future): writers stamp local time east of UTC, or a fast clock`,
    };
  }
  const newest = measured.reduce((a, b) => (a.gapSeconds < b.gapSeconds ? a : b));
  const gap = newest.gapSeconds;
  const where = `newest change (${newest.table}) is ${human(gap)} before the database's UTC now`;
  if (sessionOffsetSeconds < 0 && Math.abs(gap + sessionOffsetSeconds) <= OFFSET_TOLERANCE_S) {
    return {
      looksUtc: false,
      detail: `${where}, which is the session TimeZone's offset (UTC-${human(sessionOffsetSeconds)}): writers appear to stamp now() in local time`,
    };
  }
  if (gap <= ACTIVE_S) return { looksUtc: true, detail: `${where}: consistent with UTC stamps` };
  const hours = Math.round(gap / 3600);
  if (hours >= 1 && hours <= 14 && Math.abs(gap - hours * 3600) <= WHOLE_HOUR_TOLERANCE_S) {
    return {
      looksUtc: false,
      detail: `${where}, a whole number of hours: if totesys is busy, its writers likely stamp local time west of UTC; if it has been quiet that long, ignore this`,
    };
  }
  return {
    looksUtc: true,
    detail: `${where}: the source looks quiet and nothing suggests local time (a weak check; run doctor while totesys is busy)`,
  };
}
