/**
 * Pure: what the extract cannot observe about its source, each finding as one log line naming the
 * cause and the grant or setting that fixes it. Two causes page (the SourceUnobservable metric and
 * alarm): a replica source and a TimeZone that is not UTC, because either puts rows outside the
 * commit horizon's guarantee. Hidden sessions (a role without pg_read_all_stats) do not: the
 * horizon does not need them (horizon.ts), so they are only a warning and a metric.
 */

/** Causes that put rows at risk; each pages. */
export const UNOBSERVABLE_CAUSES = ['replica', 'timezone'] as const;
export type UnobservableCause = (typeof UNOBSERVABLE_CAUSES)[number];

export interface TimeZoneSetting {
  /** Role the setting applies to (`ALTER ROLE r SET`), null for every role. */
  readonly role: string | null;
  /** Database it applies to (`ALTER DATABASE d SET`, `ALTER ROLE r IN DATABASE d SET`), null for all. */
  readonly database: string | null;
  readonly value: string;
}

/** What one reading shows about the source's ability to be observed. */
export interface SourceEnvironment {
  /** The extract's own role (current_user) and database. */
  readonly role: string;
  readonly database: string;
  /** pg_is_in_recovery(): a standby (read replica). */
  readonly inRecovery: boolean;
  /** The extract session's TimeZone: the server's, unless the database or role sets another. */
  readonly timeZone: string;
  /** Every TimeZone set per database / role (pg_db_role_setting) that applies to this database. */
  readonly timeZoneSettings: readonly TimeZoneSetting[];
  /** pg_has_role('pg_read_all_stats', 'USAGE'): every session's state is visible. */
  readonly seesAllSessions: boolean;
  /** Other sessions of this database whose state pg_stat_activity hides from this role. */
  readonly hiddenSessions: number;
}

export interface SourceFinding {
  readonly cause: UnobservableCause | 'sessions-hidden';
  /** True for the causes that put rows at risk (metric SourceUnobservable, alarm). */
  readonly pages: boolean;
  /** One line: what is wrong, what it risks, and the exact fix. */
  readonly message: string;
}

const UTC_ZONE = /^(etc\/)?(utc|uct|gmt|universal|zulu|greenwich)([+-]?0{1,2})?$/i;

/** True for the names PostgreSQL accepts for UTC itself (not for zones that are UTC in winter). */
export function isUtcTimeZone(name: string): boolean {
  return UTC_ZONE.test(name.trim()) || /^<\+00>[+-]00$/.test(name.trim());
}

/** A name quoted as an SQL identifier, for the fix text. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function resetFor(setting: TimeZoneSetting, database: string): string {
  if (setting.role === null)
    return `ALTER DATABASE ${ident(setting.database ?? database)} SET TimeZone = 'UTC'`;
  const inDatabase = setting.database === null ? '' : ` IN DATABASE ${ident(setting.database)}`;
  return `ALTER ROLE ${ident(setting.role)}${inDatabase} RESET TimeZone`;
}

function describeSetting(setting: TimeZoneSetting): string {
  if (setting.role === null) return `database ${setting.database} sets TimeZone '${setting.value}'`;
  const where = setting.database === null ? '' : ` in database ${setting.database}`;
  return `role ${setting.role}${where} sets TimeZone '${setting.value}'`;
}

/** The findings of one reading, paging causes first. */
export function sourceFindings(env: SourceEnvironment): SourceFinding[] {
  const findings: SourceFinding[] = [];
  if (env.inRecovery) {
    findings.push({
      cause: 'replica',
      pages: true,
      message:
        `source database ${env.database} is a read replica (pg_is_in_recovery() is true): transactions still open ` +
        'on the primary are invisible here, so rows they commit late can be missed; fix: point the extract at the ' +
        'primary (TOTESYS_URL, or the TOTESYS_SECRET_ID secret on AWS)',
    });
  }
  const zones: string[] = [];
  const fixes: string[] = [];
  if (!isUtcTimeZone(env.timeZone)) {
    zones.push(`the session TimeZone is '${env.timeZone}'`);
    fixes.push(`ALTER DATABASE ${ident(env.database)} SET TimeZone = 'UTC'`);
  }
  for (const setting of env.timeZoneSettings) {
    if (isUtcTimeZone(setting.value)) continue;
    zones.push(describeSetting(setting));
    fixes.push(resetFor(setting, env.database));
  }
  if (zones.length > 0) {
    findings.push({
      cause: 'timezone',
      pages: true,
      message:
        `source TimeZone is not UTC (${zones.join('; ')}): writers stamping now() into last_updated write local ` +
        `wall-clock time, hours away from the UTC the commit horizon and the spec assume, so rows can be missed; ` +
        `fix: ${[...new Set(fixes)].join('; ')} (the server default: timezone = 'UTC' in postgresql.conf or the ` +
        'parameter group)',
    });
  }
  if (!env.seesAllSessions && env.hiddenSessions > 0) {
    findings.push({
      cause: 'sessions-hidden',
      pages: false,
      message:
        `${env.hiddenSessions} other session(s) of ${env.database} are hidden from role ${env.role} (no ` +
        'pg_read_all_stats): nothing is lost, the commit horizon works from pg_locks, which any role can read; ' +
        `to let the extract also bound it by the sessions' xact_start: GRANT pg_read_all_stats TO ${ident(env.role)}`,
    });
  }
  return findings;
}

/** The paging causes among the findings (the value of the SourceUnobservable metric is their count). */
export function pagingCauses(findings: readonly SourceFinding[]): UnobservableCause[] {
  return findings.filter((f) => f.pages).map((f) => f.cause as UnobservableCause);
}
