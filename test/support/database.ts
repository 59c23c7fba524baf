import { randomBytes } from 'node:crypto';
import { afterAll } from '@jest/globals';
import type { DatabasePool } from 'slonik';
import { dropDatabase, ensureDatabase } from '../../services/tools/local-runtime/embedded-postgres.ts';
import { migrateWarehouse } from '../../shared/db/migrate.ts';
import { createDatabasePool } from '../../shared/db/pool.ts';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: DatabasePool;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (global setup)');
  return url;
}

/**
 * A fresh, uniquely named database on the run's server (or on `server`, a maintenance-database URL
 * of another one, such as an older PostgreSQL major), dropped by `drop()`.
 */
export async function createTestDatabase(label: string, server = serverUrl()): Promise<TestDatabase> {
  const name = `t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server, name);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const pool = await createDatabasePool(url.toString());
  return {
    name,
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await dropDatabase(server, name);
    },
  };
}

/**
 * For one describe block: `fresh(label)` makes a migrated warehouse database; every one it made is
 * dropped after the block. Call at the block's top level (it registers the `afterAll`).
 */
export function freshWarehouses(): (label: string) => Promise<TestDatabase> {
  const made: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of made) await db.drop();
  });
  return async (label) => {
    const db = await createTestDatabase(label);
    made.push(db);
    await migrateWarehouse(db.pool);
    return db;
  };
}
