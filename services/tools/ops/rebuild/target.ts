import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { PIPELINE_SCHEMA, WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';

/**
 * What the rebuild may write into. The rules (RUNBOOK "Rebuild a warehouse"):
 * - never the pipeline's own live warehouse, unless forced: the rebuild would be exactly-once
 *   there too, but a rebuild aimed at it is almost always a wrong URL;
 * - an empty warehouse (fresh, or just migrated): yes;
 * - a warehouse whose load ledger holds units of this lake only (an interrupted rebuild, or a copy
 *   of a warehouse fed from this lake): yes, the ledger makes every unit it holds a no-op, so only
 *   what is missing is applied;
 * - star-schema rows with an empty ledger (not put there by the load), or a ledger holding units
 *   this lake does not have (filled from another lake): no, unless forced; what the rebuild would
 *   make of them cannot be told.
 */

/** How many ledger units are looked up in the lake (first, last and evenly between). */
export const LEDGER_SAMPLE = 8;

export interface WarehouseContents {
  /** Units in pipeline.load_ledger. */
  readonly ledgerUnits: number;
  /** Up to LEDGER_SAMPLE of them, spread over the ledger in unit_id order. */
  readonly sampleUnitIds: readonly string[];
  /** The star-schema tables holding at least one row. */
  readonly tablesWithRows: readonly string[];
}

const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);

/** 1-based positions of `k` rows spread evenly over `n` (the first and the last included). */
export function samplePositions(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i + 1);
  return Array.from({ length: k }, (_, i) => 1 + Math.round((i * (n - 1)) / (k - 1)));
}

/**
 * Whether a table exists (the target may not be migrated yet: it is inspected before); without a
 * schema, where the search path finds it, as the load's unqualified statements do.
 */
async function tableExists(pool: DatabasePool, table: string, schema?: string): Promise<boolean> {
  const name = schema === undefined ? `"${table}"` : `"${schema}"."${table}"`;
  return pool.oneFirst(
    sql.type(z.object({ exists: z.boolean() }))`SELECT to_regclass(${name}) IS NOT NULL AS exists`,
  );
}

/**
 * Reads what the warehouse holds: ledger size, a sample of its units, non-empty star-schema
 * tables. Read before any migration, so a refused target is left exactly as it was; a table not
 * there yet counts as empty.
 */
export async function inspectWarehouse(pool: DatabasePool): Promise<WarehouseContents> {
  const hasLedger = await tableExists(pool, 'load_ledger', PIPELINE_SCHEMA);
  const ledgerUnits = hasLedger
    ? await pool.oneFirst(sql.type(z.object({ n: z.coerce.number() }))`SELECT count(*) AS n FROM ${LEDGER}`)
    : 0;
  const sampleUnitIds =
    ledgerUnits === 0
      ? []
      : await pool.anyFirst(sql.type(z.object({ unit_id: z.string() }))`
          SELECT "unit_id" FROM (
            SELECT "unit_id", row_number() OVER (ORDER BY "unit_id") AS n FROM ${LEDGER}) AS numbered
           WHERE n = ANY(${sql.array(samplePositions(ledgerUnits, LEDGER_SAMPLE), 'int8')})
           ORDER BY "unit_id"`);
  const tablesWithRows: string[] = [];
  for (const table of WAREHOUSE_TABLES) {
    if (!(await tableExists(pool, table))) continue;
    const any = await pool.oneFirst(
      sql.type(
        z.object({ any: z.boolean() }),
      )`SELECT EXISTS (SELECT 1 FROM ${sql.identifier([table])}) AS any`,
    );
    if (any) tablesWithRows.push(table);
  }
  return { ledgerUnits, sampleUnitIds, tablesWithRows };
}

export type TargetDecision =
  | { readonly ok: true; readonly kind: 'empty' | 'resume'; readonly ledgerUnits: number }
  | { readonly ok: false; readonly reason: string };

/**
 * The rule above as a pure function: `missingFromLake` = the sampled ledger units the processed
 * bucket does not hold; `force` lets every refusal through.
 */
export function decideTarget(
  contents: WarehouseContents,
  missingFromLake: readonly string[],
  bucket: string,
  force: boolean,
): TargetDecision {
  const { ledgerUnits } = contents;
  if (ledgerUnits === 0 && contents.tablesWithRows.length === 0)
    return { ok: true, kind: 'empty', ledgerUnits };
  if (force) return { ok: true, kind: 'resume', ledgerUnits };
  if (ledgerUnits === 0) {
    return {
      ok: false,
      reason: `it holds rows (${contents.tablesWithRows.join(', ')}) but its load ledger is empty: they were not loaded from a lake, so the rebuild cannot know what they are (empty it, or pass --force)`,
    };
  }
  if (missingFromLake.length > 0) {
    return {
      ok: false,
      reason: `its load ledger holds unit ${missingFromLake[0]}, which s3://${bucket} does not: it was filled from another lake (use an empty warehouse, or pass --force)`,
    };
  }
  return { ok: true, kind: 'resume', ledgerUnits };
}

/** A database's identity in a URL: host (loopback names made one), port, database name. */
function databaseIdentity(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const loopback = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
  const host = loopback.has(parsed.hostname.toLowerCase()) ? 'loopback' : parsed.hostname.toLowerCase();
  const port = parsed.port === '' ? '5432' : parsed.port;
  const database =
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username);
  return `${host}:${port}/${database}`;
}

/** Whether two postgres:// URLs name the same database (whatever user, password or options). */
export function sameDatabase(a: string, b: string): boolean {
  const left = databaseIdentity(a);
  return left !== undefined && left === databaseIdentity(b);
}
