import { createHash } from 'node:crypto';
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { type Migration, PIPELINE_SCHEMA, WAREHOUSE_MIGRATIONS } from '../schema/warehouse.ts';

// Any constant works; it only has to be the same for every migrating process.
const MIGRATION_LOCK = 7_401_001;

export interface MigrationResult {
  readonly applied: number[];
  readonly alreadyApplied: number[];
}

/**
 * An applied migration whose statements changed since: the warehouse was built by other SQL than
 * the code now holds, and silently skipping it would leave the two apart. The fix is to restore
 * the applied migration and add a new one for the change.
 */
export interface EditedMigration {
  readonly version: number;
  readonly description: string;
  readonly recorded: string;
  readonly now: string;
}

export class MigrationChecksumError extends Error {
  override name = 'MigrationChecksumError';
  readonly edited: readonly EditedMigration[];
  constructor(edited: readonly EditedMigration[]) {
    const list = edited
      .map(
        (e) =>
          `${e.version} (${e.description}): recorded checksum ${e.recorded.slice(0, 12)}, now ${e.now.slice(0, 12)}`,
      )
      .join('; ');
    const them = edited.length === 1 ? 'it' : 'them';
    super(
      `warehouse migration${edited.length === 1 ? '' : 's'} ${list} edited after being applied; restore ${them} and put the change in a new migration`,
    );
    this.edited = edited;
  }
}

/** SHA-256 of a migration's statements (SQL text and bound values, in order). */
export function migrationChecksum(migration: Migration): string {
  const hash = createHash('sha256');
  for (const statement of migration.statements) {
    hash.update(statement.sql);
    hash.update('\u0000');
    hash.update(JSON.stringify(statement.values));
    hash.update('\u0000');
  }
  return hash.digest('hex');
}

/**
 * Applies the warehouse migrations not yet recorded, each in its own transaction, under an
 * advisory lock so two processes migrating at once (two Lambdas, a test and the CLI) serialise.
 * Each applied migration's checksum is recorded; an applied migration whose statements changed
 * since fails loudly (MigrationChecksumError) before anything is applied. Rows recorded before
 * checksums existed take the current checksum on first sight.
 */
export async function migrateWarehouse(
  pool: DatabasePool,
  migrations: readonly Migration[] = WAREHOUSE_MIGRATIONS,
): Promise<MigrationResult> {
  const history = sql.identifier([PIPELINE_SCHEMA, 'schema_migrations']);
  return pool.connect(async (connection) => {
    await connection.query(sql.unsafe`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await connection.query(sql.unsafe`CREATE SCHEMA IF NOT EXISTS ${sql.identifier([PIPELINE_SCHEMA])}`);
      await connection.query(sql.unsafe`
        CREATE TABLE IF NOT EXISTS ${history} (
          "version" int PRIMARY KEY,
          "description" text NOT NULL,
          "applied_at" timestamptz NOT NULL DEFAULT now()
        )`);
      // Only when missing: PostgreSQL checks ownership before IF NOT EXISTS, and the load's role
      // (which migrates at every cold start) need not own the history table.
      const hasChecksum = await connection.oneFirst(sql.type(z.object({ exists: z.boolean() }))`
        SELECT EXISTS (SELECT 1 FROM information_schema.columns
          WHERE "table_schema" = ${PIPELINE_SCHEMA} AND "table_name" = 'schema_migrations'
            AND "column_name" = 'checksum') AS "exists"`);
      if (!hasChecksum) {
        await connection.query(sql.unsafe`ALTER TABLE ${history} ADD COLUMN "checksum" text`);
      }
      const rows = await connection.any(
        sql.type(
          z.object({ version: z.number().int(), checksum: z.string().nullable() }),
        )`SELECT "version", "checksum" FROM ${history}`,
      );
      const recorded = new Map(rows.map((row) => [row.version, row.checksum]));
      const edited: EditedMigration[] = [];
      for (const migration of migrations) {
        if (!recorded.has(migration.version)) continue;
        const now = migrationChecksum(migration);
        const before = recorded.get(migration.version);
        if (before === null || before === undefined) {
          await connection.query(
            sql.unsafe`UPDATE ${history} SET "checksum" = ${now} WHERE "version" = ${migration.version}`,
          );
        } else if (before !== now) {
          edited.push({
            version: migration.version,
            description: migration.description,
            recorded: before,
            now,
          });
        }
      }
      if (edited.length > 0) throw new MigrationChecksumError(edited);
      const applied: number[] = [];
      for (const migration of migrations) {
        if (recorded.has(migration.version)) continue;
        await connection.transaction(async (tx) => {
          for (const statement of migration.statements) {
            await tx.query(statement);
          }
          await tx.query(sql.unsafe`
            INSERT INTO ${history} ("version", "description", "checksum")
            VALUES (${migration.version}, ${migration.description}, ${migrationChecksum(migration)})`);
        });
        applied.push(migration.version);
      }
      return { applied, alreadyApplied: [...recorded.keys()] };
    } finally {
      await connection.query(sql.unsafe`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}
