/**
 * Set-based foreign-key checks for large units (a first full load, a large backlog), for a role
 * that owns the tables but may not skip the key triggers; a role that may takes new-row-keys.ts's
 * way (only the unit's rows checked, keys in force, no exclusive lock) instead.
 *
 * A fact row carries up to nine foreign keys, and PostgreSQL checks each one with its own per-row
 * trigger query: `EXPLAIN ANALYZE` of a 5,000-row fact merge spends 81% of the statement in those
 * triggers. For a unit that is large against the fact table it loads into, the load instead drops
 * the table's foreign keys inside the unit's transaction, inserts, and adds them back under the
 * same names and definitions: adding a foreign key checks every row in one anti-join per key
 * (the way `services/tools/simulator/seed.ts` loads the source). The constraints hold at COMMIT
 * exactly as before: if any row lacks its dimension row, adding its key fails with the same
 * SQLSTATE 23503 and the whole unit rolls back (atomic per unit, nothing else changes).
 *
 * The price: the unit holds ACCESS EXCLUSIVE locks on those fact tables and the dimensions they
 * reference until it commits (readers and other loads of those tables wait), and the check reads
 * the whole table. Hence the rule (`chooseBulkTables`): only a fact table receiving at least
 * `minRows` rows and holding at most BULK_MAX_HELD_PER_ROW times as many already, only when the load's role owns it and
 * may reference its dimensions (a least-privileged role keeps the per-row checks), and only for
 * plain single-column keys (NO ACTION, MATCH SIMPLE, not deferrable), the only kind re-created
 * here. Every lock is taken up front, in one statement and a fixed order, before the unit writes
 * anything, so two such units, or one and an ordinary load, queue instead of deadlocking.
 */
import { type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import type { FactTable, WarehouseTable } from '../../../shared/schema/warehouse.ts';

/**
 * A table may hold up to this many rows per row the unit brings. Adding the keys back reads the
 * whole table, so the set-based path costs more as the table grows; the per-row triggers do not.
 * Measured (services/tools/bench/load-stage.ts pattern, 100,000-row sales-order parts loaded one
 * after the other into one warehouse, PostgreSQL backend CPU per part): set-based 2.1 s into an
 * empty table plus about 0.2 s per 100,000 rows held (3.9 s holding 700,000, 5.1 s holding 1.5
 * million), per-row 11.3 s whatever the table holds. So set-based stays the cheaper up to about
 * 45 times the unit's rows; at 16 it costs at most about half the per-row checks, every full
 * part of a scale-100 first load (up to 1.5 million payments held for a 100,000-row part) takes
 * it, and the exclusive locks stay with units large for their table. A part against a larger table (scale 1,000) keeps the per-row
 * checks, whose cost per part does not grow with the table.
 */
export const BULK_MAX_HELD_PER_ROW = 16;

/**
 * The statement timeout of a unit whose keys are checked set-based, from its LOCK to its COMMIT,
 * instead of the load pool's 30 s: a part queued behind another part's exclusive locks waits for
 * that whole part, and adding a key back reads the whole table. Under load (the scale-100
 * benchmark at load average ~25) parts passed 30 s 17 times, each retried, one record failing all
 * four in-invocation attempts before SQS redelivered it. 100 s stays inside the load function's
 * 120-s timeout (infra-terraform/locals.tf).
 */
export const BULK_STATEMENT_TIMEOUT_MS = 100_000;

const SETTING = z.object({ setting: z.string() });

/** LOCK and ALTER TABLE return no rows; typed all the same, as every statement of the load. */
const noRows = sql.type(z.object({}));

/**
 * Fact rows a table must receive in one unit before its keys are checked set-based: far above an
 * incremental unit (about a hundred rows every 5 minutes), so those keep the per-row checks and
 * never take the exclusive locks; at 2,000 rows the per-row triggers already cost more than
 * dropping and re-adding the keys.
 */
export const DEFAULT_BULK_MIN_ROWS = 2_000;

export interface ForeignKey {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly column: string;
  readonly targetSchema: string;
  readonly targetTable: string;
  readonly targetColumn: string;
}

export interface FactTableState {
  readonly table: FactTable;
  /**
   * Rows the table holds now: the statistics' estimate (pg_stat_user_tables.n_live_tup), which may
   * lag a little; it only steers the choice, never what the warehouse holds.
   */
  readonly liveRows: number;
  /** The load's role owns the table and may reference every table its keys point to. */
  readonly privileged: boolean;
  /** Every foreign key of the table is one this module re-creates exactly. */
  readonly plainKeys: boolean;
  /**
   * The table has no trigger or rule of its own (only the keys' internal triggers): the new-rows
   * check (new-row-keys.ts) switches triggers off for the inserts, so it must skip nothing else.
   */
  readonly keyTriggersOnly: boolean;
}

/** The pure rule: which fact tables of a unit get their keys checked set-based. */
export function chooseBulkTables(
  unitRows: ReadonlyMap<WarehouseTable, number>,
  states: readonly FactTableState[],
  minRows: number,
): FactTable[] {
  return states
    .filter((s) => {
      const rows = unitRows.get(s.table) ?? 0;
      return s.privileged && s.plainKeys && rows >= minRows && s.liveRows <= rows * BULK_MAX_HELD_PER_ROW;
    })
    .map((s) => s.table);
}

const STATE = z.object({
  table: z.string(),
  live_rows: z.number(),
  privileged: z.boolean(),
  plain_keys: z.boolean(),
  key_triggers_only: z.boolean(),
});

/**
 * What `chooseBulkTables` needs to know about each of `tables`, from the catalog and the
 * statistics. Nothing here locks a table: every lock is taken afterwards, in `lockForBulk`, so
 * two large units can never hold one lock each while waiting for the other's.
 */
export async function factTableStates(
  tx: DatabaseTransactionConnection,
  tables: readonly FactTable[],
): Promise<FactTableState[]> {
  if (tables.length === 0) return [];
  const rows = await tx.any(sql.type(STATE)`
    SELECT rel.relname AS "table",
      coalesce((SELECT s.n_live_tup FROM pg_stat_user_tables s WHERE s.relid = rel.oid), 0)::float8 AS live_rows,
      pg_has_role(rel.relowner, 'USAGE') AND coalesce(bool_and(has_table_privilege(con.confrelid, 'REFERENCES')), true)
        AS privileged,
      coalesce(bool_and(cardinality(con.conkey) = 1 AND con.confupdtype = 'a' AND con.confdeltype = 'a'
        AND con.confmatchtype = 's' AND NOT con.condeferrable AND con.convalidated), true) AS plain_keys,
      NOT rel.relhasrules AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = rel.oid AND NOT tg.tgisinternal)
        AS key_triggers_only
    FROM unnest(${sql.array([...tables], 'text')}::regclass[]) AS t(oid)
    JOIN pg_class rel ON rel.oid = t.oid
    LEFT JOIN pg_constraint con ON con.conrelid = rel.oid AND con.contype = 'f'
    GROUP BY rel.oid, rel.relname, rel.relowner, rel.relhasrules`);
  return rows.map((r) => ({
    table: r.table as FactTable,
    liveRows: r.live_rows,
    privileged: r.privileged,
    plainKeys: r.plain_keys,
    keyTriggersOnly: r.key_triggers_only,
  }));
}

const KEY = z.object({
  schema: z.string(),
  table: z.string(),
  name: z.string(),
  column: z.string(),
  target_schema: z.string(),
  target_table: z.string(),
  target_column: z.string(),
});

/** The foreign keys of `tables`, in a fixed order (table, then name). */
export async function foreignKeysOf(
  tx: DatabaseTransactionConnection,
  tables: readonly FactTable[],
): Promise<ForeignKey[]> {
  const rows = await tx.any(sql.type(KEY)`
    SELECT ns.nspname AS "schema", rel.relname AS "table", con.conname AS name, att.attname AS "column",
      rns.nspname AS target_schema, ref.relname AS target_table, ratt.attname AS target_column
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_namespace ns ON ns.oid = rel.relnamespace
    JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
    JOIN pg_class ref ON ref.oid = con.confrelid
    JOIN pg_namespace rns ON rns.oid = ref.relnamespace
    JOIN pg_attribute ratt ON ratt.attrelid = con.confrelid AND ratt.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND con.conrelid = ANY(${sql.array([...tables], 'text')}::regclass[])
    ORDER BY rel.relname, con.conname`);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    name: r.name,
    column: r.column,
    targetSchema: r.target_schema,
    targetTable: r.target_table,
    targetColumn: r.target_column,
  }));
}

/**
 * Takes every lock the set-based check needs, before anything is written: the dimensions the keys
 * point to, then the fact tables, in `order` (the load order), in one statement.
 */
export async function lockForBulk(
  tx: DatabaseTransactionConnection,
  keys: readonly ForeignKey[],
  order: readonly WarehouseTable[],
): Promise<void> {
  const names = new Map<string, readonly [string, string]>();
  for (const k of keys) {
    names.set(`${k.targetSchema}.${k.targetTable}`, [k.targetSchema, k.targetTable]);
    names.set(`${k.schema}.${k.table}`, [k.schema, k.table]);
  }
  const rank = (table: string) => {
    const index = order.indexOf(table as WarehouseTable);
    return index === -1 ? order.length : index;
  };
  const sorted = [...names.values()].sort((a, b) => rank(a[1]) - rank(b[1]) || a[1].localeCompare(b[1]));
  if (sorted.length === 0) return;
  // Until COMMIT only: waiting for another large unit's locks and adding keys back over a large
  // table are this path's expected long statements, not runaway ones.
  await tx.query(sql.type(SETTING)`
    SELECT set_config('statement_timeout', ${String(BULK_STATEMENT_TIMEOUT_MS)}, true) AS setting`);
  await tx.query(noRows`
    LOCK TABLE ${sql.join(
      sorted.map(([schema, table]) => sql.identifier([schema, table])),
      sql.fragment`, `,
    )} IN ACCESS EXCLUSIVE MODE`);
}

export async function dropForeignKeys(
  tx: DatabaseTransactionConnection,
  keys: readonly ForeignKey[],
): Promise<void> {
  for (const k of keys) {
    await tx.query(noRows`
      ALTER TABLE ${sql.identifier([k.schema, k.table])} DROP CONSTRAINT ${sql.identifier([k.name])}`);
  }
}

/** Adds each key back (same name, same definition); adding it checks every row of the table. */
export async function restoreForeignKeys(
  tx: DatabaseTransactionConnection,
  keys: readonly ForeignKey[],
): Promise<void> {
  for (const k of keys) {
    await tx.query(noRows`
      ALTER TABLE ${sql.identifier([k.schema, k.table])} ADD CONSTRAINT ${sql.identifier([k.name])}
      FOREIGN KEY (${sql.identifier([k.column])})
      REFERENCES ${sql.identifier([k.targetSchema, k.targetTable])} (${sql.identifier([k.targetColumn])})`);
  }
}
