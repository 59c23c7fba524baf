/**
 * Set-based foreign-key checks for large units (a first full load, a large backlog).
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
 * `minRows` rows and at least as many as it already holds, only when the load's role owns it and
 * may reference its dimensions (a least-privileged role keeps the per-row checks), and only for
 * plain single-column keys (NO ACTION, MATCH SIMPLE, not deferrable), the only kind re-created
 * here. Every lock is taken up front, in one statement and a fixed order, before the unit writes
 * anything, so two such units, or one and an ordinary load, queue instead of deadlocking.
 */
import { type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import type { FactTable, WarehouseTable } from '../../../shared/schema/warehouse.ts';

/** LOCK and ALTER TABLE return no rows; typed all the same, as every statement of the load. */
const noRows = sql.type(z.object({}));

/** Fact rows a table must receive in one unit before its keys are checked set-based. */
export const DEFAULT_BULK_MIN_ROWS = 10_000;

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
  /** Rows the table holds now, counted up to one more than the unit brings (enough to decide). */
  readonly liveRows: number;
  /** The load's role owns the table and may reference every table its keys point to. */
  readonly privileged: boolean;
  /** Every foreign key of the table is one this module re-creates exactly. */
  readonly plainKeys: boolean;
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
      return s.privileged && s.plainKeys && rows >= minRows && rows >= s.liveRows;
    })
    .map((s) => s.table);
}

const STATE = z.object({
  table: z.string(),
  privileged: z.boolean(),
  plain_keys: z.boolean(),
});
const COUNT = z.object({ n: z.number() });

/**
 * What `chooseBulkTables` needs to know about each table of `unitRows`, from the catalog and a
 * count of at most the unit's rows + 1 per table (exact, unlike the statistics, and no dearer than
 * reading as many rows as the unit brings).
 */
export async function factTableStates(
  tx: DatabaseTransactionConnection,
  unitRows: ReadonlyMap<FactTable, number>,
): Promise<FactTableState[]> {
  const tables = [...unitRows.keys()];
  if (tables.length === 0) return [];
  const rows = await tx.any(sql.type(STATE)`
    SELECT rel.relname AS "table",
      pg_has_role(rel.relowner, 'USAGE') AND coalesce(bool_and(has_table_privilege(con.confrelid, 'REFERENCES')), true)
        AS privileged,
      coalesce(bool_and(cardinality(con.conkey) = 1 AND con.confupdtype = 'a' AND con.confdeltype = 'a'
        AND con.confmatchtype = 's' AND NOT con.condeferrable AND con.convalidated), true) AS plain_keys
    FROM unnest(${sql.array(tables, 'text')}::regclass[]) AS t(oid)
    JOIN pg_class rel ON rel.oid = t.oid
    LEFT JOIN pg_constraint con ON con.conrelid = rel.oid AND con.contype = 'f'
    GROUP BY rel.oid, rel.relname, rel.relowner`);
  const states: FactTableState[] = [];
  for (const r of rows) {
    const table = r.table as FactTable;
    const limit = (unitRows.get(table) ?? 0) + 1;
    const liveRows = await tx.oneFirst(sql.type(COUNT)`
      SELECT count(*)::float8 AS n FROM (SELECT FROM ONLY ${sql.identifier([table])} LIMIT ${limit}) AS held`);
    states.push({ table, liveRows, privileged: r.privileged, plainKeys: r.plain_keys });
  }
  return states;
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
