/**
 * The incremental benchmark's clock: the load ledger's row count, polled every 5 ms until it grows
 * (the unit committed). `npm run bench` (scale-run.ts) and latency-trace.ts both use it, so they
 * measure the same thing: fire → ledger row.
 *
 * The polling holds ONE warehouse connection for the whole wait. Through the pool, every poll also
 * paid slonik's reset on release (`DISCARD ALL`): two round trips every 5 ms, about 80 queries per
 * cycle on the same event loop as the emulators and the three handlers (latency-trace: the loop
 * is ~93% busy during a cycle), so the clock itself slowed what it measured. What is measured is
 * unchanged: the same query, the same 5 ms interval, the same end (the ledger's new row).
 */
import type { DatabasePool } from 'slonik';
import { sql } from 'slonik';
import { z } from 'zod';
import { PIPELINE_SCHEMA } from '../../../shared/schema/warehouse.ts';

const COUNT = sql.type(z.object({ count: z.coerce.number() }));
export const LEDGER_POLL_MS = 5;

/** The load ledger's row count now (the `/*clock*\/` mark keeps it out of latency-trace's hops). */
export function ledgerRows(warehouse: Pick<DatabasePool, 'oneFirst'>): Promise<number> {
  return warehouse.oneFirst(
    COUNT`/*clock*/ SELECT count(*) FROM ${sql.identifier([PIPELINE_SCHEMA, 'load_ledger'])}`,
  );
}

/**
 * Waits until the ledger holds more than `before` rows; resolves with `performance.now()` at the
 * poll that saw it. Throws after `timeoutMs`.
 */
export function waitForLedgerRow(
  warehouse: DatabasePool,
  before: number,
  timeoutMs: number,
  onSeen?: () => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return warehouse.connect(async (connection) => {
    for (;;) {
      if ((await ledgerRows(connection)) > before) {
        const seen = performance.now();
        onSeen?.();
        return seen;
      }
      if (Date.now() > deadline) throw new Error(`no load within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, LEDGER_POLL_MS));
    }
  });
}
