import type { DatabasePool } from 'slonik';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { describingDatabase } from './errors.ts';

/**
 * Opens a slonik pool (the project's exact type parsers) for one command, runs `work`, and always
 * ends the pool. Connection failures become one-line CliErrors naming `label` and the URL without
 * its password.
 */
export async function withPool<T>(
  label: string,
  url: string,
  work: (pool: DatabasePool) => Promise<T>,
): Promise<T> {
  const pool = await describingDatabase(label, url, () =>
    createDatabasePool(url, { applicationName: 'totes-cli', connectionTimeoutMs: 10_000 }),
  );
  try {
    return await describingDatabase(label, url, () => work(pool));
  } finally {
    await pool.end();
  }
}
