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
 * Applies the warehouse migrations not yet recorded, each in its own transaction, under an
 * advisory lock so two processes migrating at once (two Lambdas, a test and the CLI) serialise.
 */
export async function migrateWarehouse(
  pool: DatabasePool,
  migrations: readonly Migration[] = WAREHOUSE_MIGRATIONS,
): Promise<MigrationResult> {
  return pool.connect(async (connection) => {
    await connection.query(sql.unsafe`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await connection.query(sql.unsafe`CREATE SCHEMA IF NOT EXISTS ${sql.identifier([PIPELINE_SCHEMA])}`);
      await connection.query(sql.unsafe`
        CREATE TABLE IF NOT EXISTS ${sql.identifier([PIPELINE_SCHEMA, 'schema_migrations'])} (
          "version" int PRIMARY KEY,
          "description" text NOT NULL,
          "applied_at" timestamptz NOT NULL DEFAULT now()
        )`);
      const done = new Set(
        await connection.anyFirst(
          sql.type(
            z.object({ version: z.number().int() }),
          )`SELECT "version" FROM ${sql.identifier([PIPELINE_SCHEMA, 'schema_migrations'])}`,
        ),
      );
      const applied: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        await connection.transaction(async (tx) => {
          for (const statement of migration.statements) {
            await tx.query(statement);
          }
          await tx.query(sql.unsafe`
            INSERT INTO ${sql.identifier([PIPELINE_SCHEMA, 'schema_migrations'])} ("version", "description")
            VALUES (${migration.version}, ${migration.description})`);
        });
        applied.push(migration.version);
      }
      return { applied, alreadyApplied: [...done] };
    } finally {
      await connection.query(sql.unsafe`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}
