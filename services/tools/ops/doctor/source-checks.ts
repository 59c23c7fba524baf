/**
 * The source (totesys) as the extract's role sees it: reachable, version, a primary, SELECT on the
 * eleven tables, whether other sessions are visible (the commit horizon needs them), the session
 * TimeZone, whether `last_updated` looks like UTC, and the columns against the pipeline's.
 */
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { compareSourceSchema } from '../../../../shared/schema/source-drift.ts';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceTableName,
} from '../../../../shared/schema/totesys.ts';
import { readSourceSchema } from '../../../lambdas/extract/source-schema.ts';
import { type CheckResult, fail, ok, warn } from './check.ts';
import { withDatabase } from './database.ts';
import { judgeUtc, type TableRecency } from './utc-heuristic.ts';
import { versionCheck } from './versions.ts';

const G = 'source' as const;

const SourceIdentity = z.object({
  role: z.string(),
  database: z.string(),
  versionNum: z.number().int(),
  version: z.string(),
  superuser: z.boolean(),
  readAllStats: z.boolean(),
  inRecovery: z.boolean(),
  timeZone: z.string(),
  /** UTC offset of the session time zone now, and in January and July (DST). */
  offsetNow: z.number().int(),
  offsetJanuary: z.number().int(),
  offsetJuly: z.number().int(),
});
type SourceIdentity = z.infer<typeof SourceIdentity>;

async function identity(pool: DatabasePool): Promise<SourceIdentity> {
  return pool.one(sql.type(SourceIdentity)`
    SELECT current_user AS "role",
      current_database() AS "database",
      current_setting('server_version_num')::int AS "versionNum",
      current_setting('server_version') AS "version",
      (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS "superuser",
      pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS "readAllStats",
      pg_is_in_recovery() AS "inRecovery",
      current_setting('TimeZone') AS "timeZone",
      extract(timezone FROM now())::int AS "offsetNow",
      extract(timezone FROM '2025-01-15 12:00:00+00'::timestamptz)::int AS "offsetJanuary",
      extract(timezone FROM '2025-07-15 12:00:00+00'::timestamptz)::int AS "offsetJuly"`);
}

/** A role name as SQL for the GRANT the fix prints. */
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

const TableAccess = z.object({
  table: z.enum(SOURCE_TABLE_NAMES),
  exists: z.boolean(),
  canSelect: z.boolean(),
});
type TableAccess = z.infer<typeof TableAccess>;

async function tableAccess(pool: DatabasePool): Promise<TableAccess[]> {
  const rows = await pool.any(sql.type(TableAccess)`
    SELECT t.name AS "table", r.oid IS NOT NULL AS "exists",
      CASE WHEN r.oid IS NULL THEN false ELSE has_table_privilege(r.oid, 'SELECT') END AS "canSelect"
    FROM unnest(${sql.array([...SOURCE_TABLE_NAMES], 'text')}) AS t(name)
    LEFT JOIN LATERAL (SELECT to_regclass(quote_ident(t.name)) AS oid) r ON true`);
  const result: TableAccess[] = [];
  for (const row of rows) {
    if (!row.exists || row.canSelect) {
      result.push(row);
      continue;
    }
    // Column grants are enough: the extract selects the known columns by name.
    const columns = SOURCE_TABLES[row.table].columns.map((c) => c.name);
    const covered = await pool.oneFirst(sql.type(z.object({ covered: z.boolean().nullable() }))`
      SELECT bool_and(has_column_privilege(to_regclass(quote_ident(${row.table})), c, 'SELECT')) AS "covered"
      FROM unnest(${sql.array(columns, 'text')}) AS c
      WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(quote_ident(${row.table}))
                    AND a.attname = c AND NOT a.attisdropped)`);
    result.push({ ...row, canSelect: covered === true });
  }
  return result;
}

async function recency(pool: DatabasePool, tables: readonly SourceTableName[]): Promise<TableRecency[]> {
  const result: TableRecency[] = [];
  for (const table of tables) {
    const gap = await pool.oneFirst(sql.type(z.object({ gap: z.number().nullable() }))`
      SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - max(${sql.identifier(['last_updated'])}))::float8 AS "gap"
      FROM ${sql.identifier([table])}`);
    result.push({ table, gapSeconds: gap });
  }
  return result;
}

function isUtcZone(id: SourceIdentity): boolean {
  return id.offsetNow === 0 && id.offsetJanuary === 0 && id.offsetJuly === 0;
}

/** `reachHint` ends the fix of an unreachable server (on AWS: where doctor must run from). */
export async function sourceChecks(url: string, reachHint = ''): Promise<CheckResult[]> {
  const outcome = await withDatabase(url, async (pool) => {
    const checks: CheckResult[] = [];
    const id = await identity(pool);
    checks.push(ok(G, 'source reachable', `connected to ${id.database} as ${id.role}`));
    checks.push(versionCheck(G, 'source', id.versionNum, id.version));
    checks.push(
      id.inRecovery
        ? warn(
            G,
            'source is the primary',
            `${id.database} is a read replica (pg_is_in_recovery): the extract cannot see the primary's open transactions`,
            'point TOTESYS_URL / the totesys secret at the primary',
          )
        : ok(G, 'source is the primary', 'not in recovery'),
    );

    const access = await tableAccess(pool);
    const missing = access.filter((a) => !a.exists).map((a) => a.table);
    checks.push(
      missing.length > 0
        ? fail(
            G,
            'source tables',
            `${missing.length} of the ${SOURCE_TABLE_NAMES.length} tables missing for ${id.role}: ${missing.join(', ')}`,
            `point TOTESYS_URL / the secret at the totesys database (and its schema on ${id.role}'s search_path), or restore the tables`,
          )
        : ok(G, 'source tables', `all ${SOURCE_TABLE_NAMES.length} tables present`),
    );
    const denied = access.filter((a) => a.exists && !a.canSelect).map((a) => a.table);
    checks.push(
      denied.length > 0
        ? fail(
            G,
            'source SELECT grants',
            `${id.role} cannot SELECT ${denied.join(', ')}`,
            `GRANT SELECT ON ${denied.map((t) => quoted(t)).join(', ')} TO ${quoted(id.role)};`,
          )
        : ok(
            G,
            'source SELECT grants',
            `${id.role} can SELECT every present table${id.superuser ? ' (superuser)' : ''}`,
          ),
    );
    checks.push(
      id.superuser || id.readAllStats
        ? ok(
            G,
            'source sessions visible',
            id.superuser
              ? `${id.role} is a superuser`
              : `${id.role} is a member of pg_read_all_stats (directly or through pg_monitor)`,
          )
        : warn(
            G,
            'source sessions visible',
            `${id.role} cannot see other roles' sessions in pg_stat_activity: nothing is lost (the extract's commit horizon works from pg_locks, which any role reads), but the extract cannot name the sessions that hold its watermark back nor bound it by their xact_start as well`,
            `GRANT pg_read_all_stats TO ${quoted(id.role)};  (or GRANT pg_monitor)`,
          ),
    );
    checks.push(
      isUtcZone(id)
        ? ok(G, 'source TimeZone', `sessions of ${id.role} default to ${id.timeZone} (UTC all year)`)
        : warn(
            G,
            'source TimeZone',
            `sessions default to TimeZone ${id.timeZone} (UTC offset now ${id.offsetNow / 3600}h): a writer stamping now() in such a session writes local time, outside the extract's no-loss bound`,
            `ALTER DATABASE ${quoted(id.database)} SET timezone TO 'UTC';  (and check the writers' roles: ALTER ROLE … SET timezone)`,
          ),
    );

    const readable = access.filter((a) => a.exists && a.canSelect).map((a) => a.table);
    try {
      const judgement = judgeUtc(await recency(pool, readable), id.offsetNow);
      checks.push(
        judgement.looksUtc
          ? ok(G, 'source last_updated is UTC', judgement.detail)
          : warn(
              G,
              'source last_updated is UTC',
              judgement.detail,
              `stamp last_updated with now() AT TIME ZONE 'UTC' (spec: timestamps are UTC), or run the writers' sessions in UTC`,
            ),
      );
    } catch (error) {
      checks.push(
        fail(
          G,
          'source last_updated is UTC',
          `could not read last_updated: ${(error as Error).message}`,
          'see the source columns check',
        ),
      );
    }

    const findings = compareSourceSchema(await readSourceSchema(pool));
    const incompatible = findings.filter((f) => !f.compatible);
    const compatible = findings.filter((f) => f.compatible);
    const list = (fs: typeof findings) => fs.map((f) => `${f.subject}: ${f.detail}`).join('; ');
    if (incompatible.length > 0) {
      checks.push(
        fail(
          G,
          'source columns',
          `the extract would stop (SourceSchemaError): ${list(incompatible)}${compatible.length > 0 ? `; also (carried without it): ${list(compatible)}` : ''}`,
          incompatible.map((f) => `${f.subject}: ${f.action}`).join('; '),
        ),
      );
    } else if (findings.length > 0) {
      checks.push(
        warn(
          G,
          'source columns',
          `compatible drift, carried with the known columns only: ${list(findings)}`,
          findings.map((f) => `${f.subject}: ${f.action}`).join('; '),
        ),
      );
    } else {
      checks.push(ok(G, 'source columns', 'the columns and types the pipeline knows, nothing else'));
    }
    return checks;
  });
  if ('unreachable' in outcome) {
    return [
      fail(
        G,
        'source reachable',
        outcome.unreachable,
        `check --source-url / TOTESYS_URL (or the totesys secret): host, port, database, user, password${reachHint}`,
      ),
    ];
  }
  return outcome.value;
}
