/**
 * The scenario of issue 13 as a fixture: with the extract role seeing only what SELECT grants, a
 * writer stamps rows from its own transaction's clock and holds the transaction open across runs,
 * longer than the safety margin, while a later row commits. The held rows must arrive with the run
 * after the commit, and the warehouse must reconcile exactly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import type { RunSummary } from '../../services/tools/local-runtime/run-once.ts';
import { reconcile, renderReconcileReport } from '../../services/tools/ops/reconcile/index.ts';
import { holdTransaction } from './held-transaction.ts';

/** The application's stamp: its transaction's now() as UTC wall clock (spec: timestamps mean UTC). */
export const UTC_NOW = sql.fragment`(now() AT TIME ZONE 'UTC')`;

/** The warehouse against the source as the spec defines it (totes reconcile): no row missing, extra or different. */
export async function expectExactWarehouse(source: DatabasePool, warehouse: DatabasePool): Promise<void> {
  const result = await reconcile(source, warehouse);
  if (!result.ok) throw new Error(renderReconcileReport(result));
  expect(result.ok).toBe(true);
}

/** Waits until the database clock has passed `stamp` by more than `marginMs` (polls the database). */
export async function waitForDatabaseClock(
  pool: DatabasePool,
  stamp: string,
  marginMs: number,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const passed = await pool.oneFirst(
      sql.type(z.object({ passed: z.boolean() }))`
        SELECT (now() AT TIME ZONE 'UTC') > ${stamp}::timestamp + make_interval(secs => ${marginMs / 1000}) AS "passed"`,
    );
    if (passed) return;
    if (Date.now() > deadline) throw new Error(`the database clock did not pass ${stamp} + ${marginMs} ms`);
    await sleep(50);
  }
}

export interface LateWriterPipeline {
  /** One extract cycle through the whole pipeline (totes run --once). */
  runOnce(): Promise<RunSummary>;
  /** The source as its owner (for the clock and reconcile) and the application's writer role. */
  readonly source: DatabasePool;
  readonly writer: DatabasePool;
  readonly warehouse: DatabasePool;
  /** The extract's safety margin (EXTRACT_SAFETY_MARGIN_MS) the held transaction must outlast. */
  readonly safetyMarginMs: number;
}

function changedOf(summary: RunSummary): Record<string, number> {
  if (summary.failed !== 0) throw new Error(`a stage failed: ${JSON.stringify(summary)}`);
  return summary.changed;
}

/** Runs the scenario on a pipeline that has already delivered the seed (its first run done). */
export async function heldWriterAcrossRuns(p: LateWriterPipeline): Promise<void> {
  // The writer inserts a design and updates a staff row, stamping its own transaction's clock, and
  // keeps the transaction open.
  const held = await holdTransaction(p.writer, async (tx) => {
    const stamp = await tx.oneFirst(sql.type(z.object({ stamp: z.string() }))`
      INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
      VALUES (${UTC_NOW}, ${UTC_NOW}, 'Held', '/held', 'held.json')
      RETURNING to_char(last_updated, 'YYYY-MM-DD HH24:MI:SS.MS') AS "stamp"`);
    await tx.query(sql.unsafe`UPDATE staff SET email_address = 'held.' || email_address, last_updated = ${UTC_NOW}
      WHERE staff_id = (SELECT min(staff_id) FROM staff)`);
    return stamp;
  });
  // Meanwhile a later row commits.
  await p.writer.query(sql.unsafe`
    INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
    VALUES (${UTC_NOW}, ${UTC_NOW}, 'Later', '/later', 'later.json')`);
  await waitForDatabaseClock(p.source, held.value, p.safetyMarginMs);

  const during = await p.runOnce();
  expect(during.status).toBe('extracted');
  expect(changedOf(during)).toEqual({ design: 1 }); // the later row only: the held ones are not committed
  // Across runs: still held, older than the margin; nothing new.
  await waitForDatabaseClock(p.source, held.value, 2 * p.safetyMarginMs);
  const still = await p.runOnce();
  expect(still.status).toBe('unchanged');

  await held.commit();
  const after = await p.runOnce();
  expect(after.status).toBe('extracted');
  expect(changedOf(after)).toEqual({ design: 1, staff: 1 });
  await expectExactWarehouse(p.source, p.warehouse);
}
