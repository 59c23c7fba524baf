import { type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import { type FactTable, PIPELINE_SCHEMA } from '../../../shared/schema/warehouse.ts';
import type { FactLoad } from './tables.ts';

/**
 * Generations of a unit (`totes replay`): the SQL that claims a unit for one generation, and the
 * bookkeeping that lets a later generation replace the fact rows of the one it supersedes.
 *
 * The claim is one statement on the unit's ledger row:
 *
 *   INSERT … ON CONFLICT (unit_id) DO UPDATE SET generation = EXCLUDED.generation, …
 *     WHERE ledger.generation < EXCLUDED.generation RETURNING unit_id, replaced
 *
 * - no row yet: inserted, the unit is applied (whatever its generation);
 * - a row of an OLDER generation: updated, the unit is applied and replaces it;
 * - a row of the same or a NEWER generation: no row back, 'already-applied', nothing changes
 *   (a duplicate delivery, a DLQ redrive of the original after its replay).
 * Two transactions claiming one unit serialise on that row (its unique-index entry for an insert,
 * its row lock for an update); the second re-checks the WHERE against the first's committed
 * generation (READ COMMITTED's ON CONFLICT DO UPDATE), so whatever the order, the newest
 * generation is the one applied last and nothing is applied twice.
 */

const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
const FACT_ROWS = sql.identifier([PIPELINE_SCHEMA, 'load_fact_rows']);

const CLAIM = z.object({ unit_id: z.string() });

/**
 * Claims `unitId` for `generation`; false when that generation or a newer one is already applied.
 * (Whether an earlier generation was there is deliberately not returned: a statement's snapshot
 * can predate a concurrent claim it waited for, so the caller of a generation >= 2 always runs
 * `removeFactRows`, whose own statements see every committed row.)
 */
export async function claimUnit(
  tx: DatabaseTransactionConnection,
  unit: {
    readonly unitId: string;
    readonly runId: string;
    readonly generation: number;
    readonly newestSourceUpdate: string | null;
  },
): Promise<boolean> {
  const row = await tx.maybeOne(sql.type(CLAIM)`
    INSERT INTO ${LEDGER} AS l ("unit_id", "run_id", "rows", "newest_source_update", "generation")
    VALUES (${unit.unitId}, ${unit.runId}, '{}'::jsonb, ${unit.newestSourceUpdate}::timestamp(3), ${unit.generation})
    ON CONFLICT ("unit_id") DO UPDATE SET "generation" = EXCLUDED."generation",
      "run_id" = EXCLUDED."run_id", "rows" = EXCLUDED."rows",
      "newest_source_update" = EXCLUDED."newest_source_update", "applied_at" = now()
      WHERE l."generation" < EXCLUDED."generation"
    RETURNING l."unit_id"`);
  return row !== null;
}

/**
 * Deletes the fact rows the earlier generation of `unitId` inserted into `table` (by surrogate id,
 * as recorded by `recordFactRows`), so a replaced unit leaves none of its old rows behind even
 * when the bug had changed their natural id or version. Returns how many rows went.
 */
export async function removeFactRows(
  tx: DatabaseTransactionConnection,
  unitId: string,
  table: FactLoad,
): Promise<number> {
  const result = await tx.query(sql.type(z.object({}))`
    DELETE FROM ${sql.identifier([table.name])}
    WHERE ${sql.identifier([table.surrogateKey])} = ANY (
      SELECT unnest("record_ids") FROM ${FACT_ROWS}
      WHERE "unit_id" = ${unitId} AND "fact_table" = ${table.name})`);
  await tx.query(sql.type(z.object({}))`
    DELETE FROM ${FACT_ROWS} WHERE "unit_id" = ${unitId} AND "fact_table" = ${table.name}`);
  return result.rowCount;
}

/** Records the surrogate ids of the fact rows this generation of `unitId` inserted into `table`. */
export async function recordFactRows(
  tx: DatabaseTransactionConnection,
  unitId: string,
  table: FactTable,
  ids: readonly number[],
): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(sql.type(z.object({}))`
    INSERT INTO ${FACT_ROWS} ("unit_id", "fact_table", "record_ids")
    VALUES (${unitId}, ${table}, ${sql.array([...ids], 'int4')})`);
}
