/**
 * How fresh the warehouse is, read from the load ledger (pipeline.load_ledger, one row per applied
 * unit with the newest source `last_updated` it carried). One place for the queries the load's
 * freshness metric, `totes status`, `totes alarms` and the live view ask.
 * Timestamps are 'YYYY-MM-DD HH:MM:SS.mmm' UTC wall clock, ages are measured on the database clock.
 */
import { type CommonQueryMethods, sql } from 'slonik';
import { SOURCE_TABLE_NAMES } from '../schema/totesys.ts';
import { PIPELINE_SCHEMA } from '../schema/warehouse.ts';

const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);

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
  const value = await pool.oneFirst(
    sql.unsafe`SELECT to_char(max("newest_source_update"), 'YYYY-MM-DD HH24:MI:SS.MS') FROM ${LEDGER}`,
  );
  return value as string | null;
}

/** The ledger's summary; a warehouse not yet migrated (no ledger) reads as nothing loaded. */
export async function ledgerFreshness(pool: CommonQueryMethods): Promise<LedgerFreshness> {
  const exists = await pool.oneFirst(
    sql.unsafe`SELECT to_regclass(${`${PIPELINE_SCHEMA}.load_ledger`}) IS NOT NULL`,
  );
  if (!exists) return { units: 0, newestSourceUpdate: null, ageSeconds: null };
  const row = (await pool.one(sql.unsafe`
    SELECT count(*) AS units,
           to_char(max("newest_source_update"), 'YYYY-MM-DD HH24:MI:SS.MS') AS newest,
           extract(epoch FROM (now() AT TIME ZONE 'UTC') - max("newest_source_update"))::float8 AS age
    FROM ${LEDGER}`)) as { units: number | string; newest: string | null; age: number | null };
  return {
    units: Number(row.units),
    newestSourceUpdate: row.newest,
    ageSeconds: row.age === null ? null : Number(row.age),
  };
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
    const exists = await source.oneFirst(sql.unsafe`SELECT to_regclass(${`public.${table}`}) IS NOT NULL`);
    if (!exists) continue;
    const after =
      newestLoaded === null ? sql.fragment`TRUE` : sql.fragment`"last_updated" > ${newestLoaded}::timestamp`;
    const age = (await source.oneFirst(sql.unsafe`
      SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - min("last_updated"))::float8
      FROM ${sql.identifier([table])} WHERE ${after}`)) as number | null;
    if (age !== null && (oldest === null || age > oldest)) oldest = age;
  }
  return oldest;
}
