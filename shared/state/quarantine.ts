/**
 * What pipeline.quarantine holds (issue 19 item 6b): rows held back per row, with their reason.
 * One place for the queries the load's RowsHeld metric, `totes alarms` and `totes quarantine` ask.
 * The load writes the table (services/lambdas/load/quarantine.ts).
 */
import { type CommonQueryMethods, sql } from 'slonik';
import { z } from 'zod';
import { relationExists } from '../db/catalog.ts';
import { PIPELINE_SCHEMA } from '../schema/warehouse.ts';

const QUARANTINE = sql.identifier([PIPELINE_SCHEMA, 'quarantine']);
const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);

export const QUARANTINE_ROW = z.object({
  heldId: z.number().int(),
  unitId: z.string(),
  runId: z.string().nullable(),
  generation: z.number().int(),
  kind: z.enum(['held', 'dependant']),
  table: z.string(),
  naturalKey: z.string(),
  version: z.string().nullable(),
  errorClass: z.string(),
  reason: z.string(),
  row: z.record(z.string(), z.unknown()),
  dependsOn: z.array(z.object({ table: z.string(), id: z.number().int() })),
  heldSince: z.string(),
  releasedAt: z.string().nullable(),
  releasedBy: z.string().nullable(),
});
export type QuarantineRow = z.infer<typeof QUARANTINE_ROW>;

/** Rows held now (not released); 0 on a warehouse migrated before the quarantine existed. */
export async function countHeldRows(db: CommonQueryMethods): Promise<number> {
  if (!(await relationExists(db, `${PIPELINE_SCHEMA}.quarantine`))) return 0;
  return db.oneFirst(
    sql.type(z.object({ count: z.number().int() }))`
      SELECT count(*)::int AS "count" FROM ${QUARANTINE} WHERE "released_at" IS NULL`,
  );
}

/** Held rows (oldest first), with the run id of their unit; `all` adds the released ones. */
export async function listHeldRows(
  db: CommonQueryMethods,
  options: { readonly all?: boolean; readonly limit?: number } = {},
): Promise<QuarantineRow[]> {
  if (!(await relationExists(db, `${PIPELINE_SCHEMA}.quarantine`))) return [];
  const rows = await db.any(sql.type(QUARANTINE_ROW)`
    SELECT q."held_id" AS "heldId", q."unit_id" AS "unitId", l."run_id" AS "runId", q."generation",
      q."kind", q."table_name" AS "table", q."natural_key" AS "naturalKey", q."version",
      q."error_class" AS "errorClass", q."reason", q."row", q."depends_on" AS "dependsOn",
      to_char(q."held_since" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "heldSince",
      to_char(q."released_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "releasedAt",
      q."released_by" AS "releasedBy"
    FROM ${QUARANTINE} q LEFT JOIN ${LEDGER} l ON l."unit_id" = q."unit_id"
    WHERE ${options.all ? sql.fragment`TRUE` : sql.fragment`q."released_at" IS NULL`}
    ORDER BY q."held_id"
    LIMIT ${options.limit ?? 1000}`);
  return [...rows];
}
