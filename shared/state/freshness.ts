/**
 * How fresh the warehouse is, read from the load ledger (pipeline.load_ledger, one row per applied
 * unit with the newest source `last_updated` it carried). One place for the queries the load's
 * freshness metric, `totes status`, `totes alarms` and the live view ask.
 * Timestamps are 'YYYY-MM-DD HH:MM:SS.mmm' UTC wall clock, ages are measured on the database clock.
 */
import { type CommonQueryMethods, sql } from 'slonik';
import { z } from 'zod';
import { relationExists } from '../db/catalog.ts';
import { SOURCE_TABLE_NAMES } from '../schema/totesys.ts';
import { PIPELINE_SCHEMA } from '../schema/warehouse.ts';

const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
/** 'YYYY-MM-DD HH:MM:SS.mmm' UTC wall clock, or null when there is none. */
const NEWEST = z.object({ newest: z.string().nullable() });
const SUMMARY = z.object({
  units: z.number().int(),
  newest: z.string().nullable(),
  age: z.number().nullable(),
});
const AGE = z.object({ age: z.number().nullable() });
/** The ledger's per-table counts of a unit, as the load writes them (services/lambdas/load/apply.ts). */
const UNIT_ROWS = z.record(
  z.string(),
  z.object({
    received: z.number().optional(),
    inserted: z.number().optional(),
    updated: z.number().optional(),
  }),
);
const LOADED_UNIT = z.object({ unitId: z.string(), rows: UNIT_ROWS });
export type LoadedUnit = z.infer<typeof LOADED_UNIT>;

export interface LedgerFreshness {
  /** Units applied so far. */
  readonly units: number;
  /** Newest source change the warehouse holds (null: nothing loaded). */
  readonly newestSourceUpdate: string | null;
  /** Its age in seconds by the warehouse's clock (not rounded). */
  readonly ageSeconds: number | null;
}

/** Newest source update loaded so far, over every applied unit (the load's metric, after COMMIT). */
export async function newestLoadedSourceUpdate(pool: CommonQueryMethods): Promise<string | null> {
  return pool.oneFirst(
    sql.type(
      NEWEST,
    )`SELECT to_char(max("newest_source_update"), 'YYYY-MM-DD HH24:MI:SS.MS') AS "newest" FROM ${LEDGER}`,
  );
}

/** The ledger's summary; a warehouse not yet migrated (no ledger) reads as nothing loaded. */
export async function ledgerFreshness(pool: CommonQueryMethods): Promise<LedgerFreshness> {
  if (!(await relationExists(pool, `${PIPELINE_SCHEMA}.load_ledger`))) {
    return { units: 0, newestSourceUpdate: null, ageSeconds: null };
  }
  const row = await pool.one(sql.type(SUMMARY)`
    SELECT count(*) AS units,
           to_char(max("newest_source_update"), 'YYYY-MM-DD HH24:MI:SS.MS') AS newest,
           extract(epoch FROM (now() AT TIME ZONE 'UTC') - max("newest_source_update"))::float8 AS age
    FROM ${LEDGER}`);
  return { units: row.units, newestSourceUpdate: row.newest, ageSeconds: row.age };
}

/** The units of one run the warehouse has applied, with their per-table counts (none before migration). */
export async function loadedUnitsOfRun(
  pool: CommonQueryMethods,
  runId: string,
): Promise<readonly LoadedUnit[]> {
  if (!(await relationExists(pool, `${PIPELINE_SCHEMA}.load_ledger`))) return [];
  return pool.any(sql.type(LOADED_UNIT)`
    SELECT "unit_id" AS "unitId", "rows" FROM ${LEDGER} WHERE "run_id" = ${runId}`);
}

/** Per warehouse table, the rows one run inserted or updated (the run summary's "loaded" figures). */
export async function rowsLoadedByRun(
  pool: CommonQueryMethods,
  runId: string,
): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const unit of await loadedUnitsOfRun(pool, runId)) {
    for (const [table, counts] of Object.entries(unit.rows)) {
      rows[table] = (rows[table] ?? 0) + (counts.inserted ?? 0) + (counts.updated ?? 0);
    }
  }
  return rows;
}

/**
 * Age in seconds (source clock) of the oldest source change newer than `newestLoaded` (every change
 * when null), over the source tables that exist; null when there is none. The freshness alarm's
 * lag: a quiet source is not late.
 */
export async function oldestUnloadedSourceChangeAge(
  source: CommonQueryMethods,
  newestLoaded: string | null,
): Promise<number | null> {
  let oldest: number | null = null;
  for (const table of SOURCE_TABLE_NAMES) {
    if (!(await relationExists(source, `public.${table}`))) continue;
    const after =
      newestLoaded === null ? sql.fragment`TRUE` : sql.fragment`"last_updated" > ${newestLoaded}::timestamp`;
    const age = await source.oneFirst(sql.type(AGE)`
      SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - min("last_updated"))::float8 AS "age"
      FROM ${sql.identifier([table])} WHERE ${after}`);
    if (age !== null && (oldest === null || age > oldest)) oldest = age;
  }
  return oldest;
}
