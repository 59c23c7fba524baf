import { type DatabasePool, type DatabaseTransactionConnection, sql } from 'slonik';

/** Long enough for the star-schema views at scale 10, short enough that a page never hangs. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

/**
 * Runs `read` in a READ ONLY transaction with a statement timeout of its own (SET LOCAL, so it
 * ends with the transaction): the console can look at the warehouse but never change it, and a
 * slow query is cancelled by the server instead of holding a page.
 */
export async function readOnly<T>(
  pool: DatabasePool,
  read: (connection: DatabaseTransactionConnection) => Promise<T>,
  timeoutMs: number = DEFAULT_STATEMENT_TIMEOUT_MS,
): Promise<T> {
  return pool.transaction(async (connection) => {
    await connection.query(sql.unsafe`SET TRANSACTION READ ONLY`);
    await connection.query(sql.unsafe`SELECT set_config('statement_timeout', ${String(timeoutMs)}, true)`);
    return read(connection);
  });
}
