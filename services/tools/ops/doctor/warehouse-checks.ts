/**
 * The warehouse as the load's role sees it: reachable, version, every migration applied, and the
 * rights the load needs. The load migrates at every cold start (shared/db/migrate.ts), and
 * PostgreSQL checks the CREATE privilege of `CREATE SCHEMA IF NOT EXISTS` / `CREATE TABLE IF NOT
 * EXISTS` before it looks whether the object exists: so the role needs CREATE on the database and
 * on the `pipeline` schema even when nothing is pending, and CREATE on `public` while a migration
 * is pending; then SELECT, INSERT and UPDATE on every table it writes.
 */
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import {
  PIPELINE_SCHEMA,
  WAREHOUSE_MIGRATIONS,
  WAREHOUSE_TABLES,
} from '../../../../shared/schema/warehouse.ts';
import { type CheckResult, fail, ok, warn } from './check.ts';
import { withDatabase } from './database.ts';
import { versionCheck } from './versions.ts';

const G = 'warehouse' as const;
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The pipeline's own tables (besides the star schema), written by the load. */
const PIPELINE_TABLES = ['load_ledger', 'dimension_version', 'quarantine'] as const;
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE'] as const;

/** A yes/no question to the catalog, answered in one column named `yes`. */
const YES = sql.type(z.object({ yes: z.boolean() }));
const Identity = z.object({
  role: z.string(),
  database: z.string(),
  versionNum: z.number().int(),
  version: z.string(),
});

async function appliedMigrations(pool: DatabasePool): Promise<number[] | null> {
  const exists = await pool.oneFirst(
    YES`SELECT to_regclass(${`${PIPELINE_SCHEMA}.schema_migrations`}) IS NOT NULL AS "yes"`,
  );
  if (!exists) return null;
  return [
    ...(await pool.anyFirst(
      sql.type(z.object({ version: z.number().int() }))`
        SELECT "version" FROM ${sql.identifier([PIPELINE_SCHEMA, 'schema_migrations'])} ORDER BY 1`,
    )),
  ];
}

function migrationCheck(applied: number[] | null, url: string): CheckResult {
  const known = WAREHOUSE_MIGRATIONS.map((m) => m.version);
  const fix = `npx totes migrate --warehouse-url ${url}  (the load also applies them at a cold start when its role may)`;
  if (applied === null) {
    return fail(
      G,
      'warehouse migrations',
      `none applied (${PIPELINE_SCHEMA}.schema_migrations is absent)`,
      fix,
    );
  }
  const pending = known.filter((v) => !applied.includes(v));
  const unknown = applied.filter((v) => !known.includes(v));
  if (pending.length > 0) {
    return fail(
      G,
      'warehouse migrations',
      `${pending.length} of ${known.length} not applied: ${pending.map((v) => `#${v} ${WAREHOUSE_MIGRATIONS.find((m) => m.version === v)?.description}`).join(', ')}`,
      fix,
    );
  }
  if (unknown.length > 0) {
    return warn(
      G,
      'warehouse migrations',
      `all ${known.length} applied, and ${unknown.map((v) => `#${v}`).join(', ')} this code does not know`,
      'the warehouse was migrated by a newer release: deploy that release (or this doctor is old)',
    );
  }
  return ok(G, 'warehouse migrations', `all ${known.length} applied`);
}

async function rightsCheck(pool: DatabasePool, role: string, pending: boolean): Promise<CheckResult> {
  const database = await pool.oneFirst(
    sql.type(z.object({ database: z.string() }))`SELECT current_database() AS "database"`,
  );
  const grants: string[] = [];
  const missing: string[] = [];
  if (!(await pool.oneFirst(YES`SELECT has_database_privilege(current_database(), 'CREATE') AS "yes"`))) {
    missing.push(`CREATE on database ${database}`);
    grants.push(`GRANT CREATE ON DATABASE ${quoted(database)} TO ${quoted(role)};`);
  }
  const schemas: Array<{ name: string; privileges: string[] }> = [
    { name: PIPELINE_SCHEMA, privileges: ['USAGE', 'CREATE'] },
    { name: 'public', privileges: pending ? ['USAGE', 'CREATE'] : ['USAGE'] },
  ];
  for (const schema of schemas) {
    const exists = await pool.oneFirst(
      YES`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${schema.name}) AS "yes"`,
    );
    if (!exists) continue; // created by the migrations (the database CREATE above covers it)
    const lacking: string[] = [];
    for (const privilege of schema.privileges) {
      if (!(await pool.oneFirst(YES`SELECT has_schema_privilege(${schema.name}, ${privilege}) AS "yes"`))) {
        lacking.push(privilege);
      }
    }
    if (lacking.length > 0) {
      missing.push(`${lacking.join(', ')} on schema ${schema.name}`);
      grants.push(`GRANT ${lacking.join(', ')} ON SCHEMA ${quoted(schema.name)} TO ${quoted(role)};`);
    }
  }
  const tables = [
    ...WAREHOUSE_TABLES.map((t) => ({ schema: 'public', table: t as string })),
    ...PIPELINE_TABLES.map((t) => ({ schema: PIPELINE_SCHEMA, table: t as string })),
  ];
  const byPrivilege = new Map<string, string[]>();
  for (const { schema, table } of tables) {
    const name = `${schema}.${table}`;
    const exists = await pool.oneFirst(
      YES`SELECT to_regclass(${`${quoted(schema)}.${quoted(table)}`}) IS NOT NULL AS "yes"`,
    );
    if (!exists) continue; // not created yet: the migrations create it, owned by the role
    for (const privilege of TABLE_PRIVILEGES) {
      if (!(await pool.oneFirst(YES`SELECT has_table_privilege(${name}, ${privilege}) AS "yes"`))) {
        byPrivilege.set(privilege, [...(byPrivilege.get(privilege) ?? []), name]);
      }
    }
  }
  for (const [privilege, names] of byPrivilege) {
    missing.push(`${privilege} on ${names.join(', ')}`);
    grants.push(
      `GRANT ${privilege} ON ${names.map((n) => n.split('.').map(quoted).join('.')).join(', ')} TO ${quoted(role)};`,
    );
  }
  if (missing.length === 0) {
    return ok(
      G,
      'warehouse rights',
      `${role} may migrate (CREATE on the database and schemas) and read and write every table`,
    );
  }
  return fail(
    G,
    'warehouse rights',
    `${role} lacks ${missing.join('; ')} (the load migrates at every cold start, then writes every table)`,
    grants.join('  '),
  );
}

export async function warehouseChecks(url: string, fixUrl: string, reachHint = ''): Promise<CheckResult[]> {
  const outcome = await withDatabase(url, async (pool) => {
    const id = await pool.one(sql.type(Identity)`
      SELECT current_user AS "role", current_database() AS "database",
        current_setting('server_version_num')::int AS "versionNum",
        current_setting('server_version') AS "version"`);
    const applied = await appliedMigrations(pool);
    const migrations = migrationCheck(applied, fixUrl);
    return [
      ok(G, 'warehouse reachable', `connected to ${id.database} as ${id.role}`),
      versionCheck(G, 'warehouse', id.versionNum, id.version),
      migrations,
      await rightsCheck(pool, id.role, migrations.status === 'FAIL'),
    ];
  });
  if ('unreachable' in outcome) {
    return [
      fail(
        G,
        'warehouse reachable',
        outcome.unreachable,
        `check --warehouse-url / WAREHOUSE_URL (or the warehouse secret): host, port, database, user, password${reachHint}`,
      ),
    ];
  }
  return outcome.value;
}
