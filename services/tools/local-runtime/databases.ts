import { sql } from 'slonik';
import { z } from 'zod';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded-postgres.ts';
import { embeddedDataLocation } from './postgres-location.ts';

/** Database names on the embedded server. */
export const EMBEDDED_SOURCE_DB = 'totesys';
export const EMBEDDED_WAREHOUSE_DB = 'warehouse';

export interface LocalDatabases {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  /** The embedded server, when either database is embedded. */
  readonly server: EmbeddedPostgresHandle | undefined;
  /** True when the source was seeded by this start. */
  readonly seeded: boolean;
  stop(): Promise<void>;
}

export interface LocalDatabaseOptions {
  readonly stateDir: string;
  readonly sourceUrl?: string | undefined;
  readonly warehouseUrl?: string | undefined;
  /**
   * Seed an EMBEDDED source that holds no data yet at this scale (default 1; 0 never seeds; a
   * source given by URL is never seeded).
   */
  readonly seedScale?: number;
  readonly seed?: number;
  /** Apply the warehouse migrations (default true; `totes doctor` looks without changing). */
  readonly migrate?: boolean;
  readonly log?: (line: string) => void;
}

async function sourceHasData(url: string): Promise<boolean> {
  const pool = await createDatabasePool(url, { applicationName: 'totes-runtime' });
  try {
    const flag = sql.type(z.object({ flag: z.boolean() }));
    if (!(await pool.oneFirst(flag`SELECT to_regclass('public.sales_order') IS NOT NULL AS flag`)))
      return false;
    return pool.oneFirst(flag`SELECT EXISTS (SELECT 1 FROM "sales_order") AS flag`);
  } finally {
    await pool.end();
  }
}

/**
 * The two databases the local pipeline needs: each given URL as it is, the rest on an embedded
 * PostgreSQL whose data lives in `<stateDir>/postgres` (so a restart resumes). An embedded source
 * with no data is seeded (scale 1 by default, the real volumes); the warehouse is migrated, which
 * creates its schema when absent and changes nothing otherwise.
 */
export async function startLocalDatabases(options: LocalDatabaseOptions): Promise<LocalDatabases> {
  let server: EmbeddedPostgresHandle | undefined;
  let { sourceUrl, warehouseUrl } = options;
  const embeddedSource = sourceUrl === undefined;
  if (sourceUrl === undefined || warehouseUrl === undefined) {
    const { dataDir, note } = await embeddedDataLocation(options.stateDir);
    if (note) options.log?.(note);
    server = await startEmbeddedPostgres(dataDir);
    sourceUrl ??= await server.ensureDatabase(EMBEDDED_SOURCE_DB);
    warehouseUrl ??= await server.ensureDatabase(EMBEDDED_WAREHOUSE_DB);
  }
  const stop = async () => {
    await server?.stop();
  };
  try {
    let seeded = false;
    const scale = options.seedScale ?? 1;
    if (embeddedSource && scale > 0 && !(await sourceHasData(sourceUrl))) {
      options.log?.(`seeding the embedded source at scale ${scale}`);
      const { seedSource } = await import('../simulator/seed.ts');
      const pool = await createDatabasePool(sourceUrl, { applicationName: 'totes-seed' });
      try {
        await seedSource(pool, { scale, seed: options.seed ?? 1 });
      } finally {
        await pool.end();
      }
      seeded = true;
    }
    if (options.migrate ?? true) {
      const warehouse = await createDatabasePool(warehouseUrl, { applicationName: 'totes-migrate' });
      try {
        await migrateWarehouse(warehouse);
      } finally {
        await warehouse.end();
      }
    }
    return { sourceUrl, warehouseUrl, server, seeded, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
