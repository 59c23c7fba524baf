/**
 * Opening a database for a check: a small pool, and the one-line reason when the server cannot
 * be reached (the check then FAILs with it instead of doctor crashing).
 */
import type { DatabasePool } from 'slonik';
import { createDatabasePool } from '../../../../shared/db/pool.ts';
import { expectedErrorMessage, redactUrl } from '../../cli/errors.ts';

export async function withDatabase<T>(
  url: string,
  run: (pool: DatabasePool) => Promise<T>,
): Promise<{ value: T } | { unreachable: string }> {
  let pool: DatabasePool;
  try {
    pool = await createDatabasePool(url, {
      applicationName: 'totes-doctor',
      maximumPoolSize: 1,
      connectionTimeoutMs: 10_000,
    });
  } catch (error) {
    return { unreachable: reason(error, url) };
  }
  try {
    return { value: await run(pool) };
  } catch (error) {
    const message = expectedErrorMessage(error);
    if (message === undefined) throw error;
    return { unreachable: `${redactUrl(url)}: ${message}` };
  } finally {
    await pool.end();
  }
}

function reason(error: unknown, url: string): string {
  return `${redactUrl(url)}: ${expectedErrorMessage(error) ?? (error as Error).message}`;
}
