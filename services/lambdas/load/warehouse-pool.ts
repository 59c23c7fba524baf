/**
 * The warehouse pool of this container: created on first use, migrated once (idempotent,
 * advisory-locked, so concurrent cold starts serialise), then reused by every invocation. A
 * failure is not cached: the next record tries again (the secret, the connection).
 */
import type { DatabasePool } from 'slonik';
import { ENV } from '../../../shared/config/env.ts';
import { resolveDatabaseUrl } from '../../../shared/db/credentials.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool, type PoolOptions } from '../../../shared/db/pool.ts';
import type { LoadConfig } from './config.ts';

/**
 * One container handles one batch at a time and the consumer runs at most 2 records at once, so 2
 * connections suffice; see README.md beside this file for pool size × maximum_concurrency.
 */
export const LOAD_POOL_OPTIONS: PoolOptions = {
  maximumPoolSize: 2,
  // Below the function timeout (120 s on AWS), so a stuck statement leaves time to retry or fail.
  statementTimeoutMs: 30_000,
  // Warm containers reuse connections between batches; an idle one is closed after a minute.
  idleTimeoutMs: 60_000,
  connectionTimeoutMs: 5_000,
  applicationName: 'totes-load',
};

let containerPool: Promise<DatabasePool> | undefined;

function warehouseUrl(source: NonNullable<LoadConfig['warehouse']>): Promise<string> {
  if ('url' in source) return Promise.resolve(source.url);
  return resolveDatabaseUrl(ENV.warehouseUrl, ENV.warehouseSecretId, {
    [ENV.warehouseSecretId]: source.secretId,
  });
}

export function warehousePool(source: NonNullable<LoadConfig['warehouse']>): Promise<DatabasePool> {
  if (!containerPool) {
    const creating = (async () => {
      const pool = await createDatabasePool(await warehouseUrl(source), LOAD_POOL_OPTIONS);
      // Slonik also emits every query error on the pool; errors reach the caller anyway, and
      // without a listener Node would rethrow them as ERR_UNHANDLED_ERROR.
      pool.on('error', () => {});
      try {
        await migrateWarehouse(pool);
      } catch (error) {
        await pool.end().catch(() => {});
        throw error;
      }
      return pool;
    })();
    containerPool = creating;
    creating.catch(() => {
      if (containerPool === creating) containerPool = undefined;
    });
  }
  return containerPool;
}

/** Ends this container's pool (tests and the local runtime; a Lambda container never needs to). */
export async function closeWarehousePool(): Promise<void> {
  const current = containerPool;
  containerPool = undefined;
  if (current) await (await current.catch(() => undefined))?.end();
}
