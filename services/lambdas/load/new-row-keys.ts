/**
 * Set-based foreign-key checks of a large unit's NEW rows only, with the keys left in force.
 *
 * The per-row path checks each key of each inserted fact row with its own trigger query (81% of a
 * fact merge); the whole-table path (bulk-keys.ts) drops the keys and adds them back, which needs
 * ACCESS EXCLUSIVE locks (parts of a split unit queue one after another) and re-reads the whole
 * fact table (a part's cost grows with every part before it). This path does neither:
 *
 * 1. The fact inserts run with `session_replication_role = replica` (SET LOCAL: it lasts until the
 *    next statement below or the end of the transaction, whichever comes first, never beyond): the
 *    foreign keys' internal triggers fire only in `origin` mode, so no per-row check runs. The
 *    keys themselves are never touched: no DDL, no table lock beyond the inserts' own.
 * 2. Back in `origin` mode, each key is checked for the rows this unit inserted (their surrogate
 *    ids, from the merge's RETURNING), in one statement: the distinct referenced values, and the
 *    referenced rows locked `FOR KEY SHARE` — exactly the lock each per-row trigger takes, so a
 *    concurrent DELETE or key UPDATE of a referenced row waits for this unit's COMMIT, as before.
 * 3. A referenced value with no row: the offending rows are updated to themselves
 *    (`SET col = col`). PostgreSQL re-checks a key on UPDATE whenever the row was inserted by the
 *    current transaction, so the database raises its own 23503 ("violates foreign key
 *    constraint …"), and the whole unit rolls back as on the per-row path.
 *
 * Rows this unit did not insert were checked when they were inserted (and stay protected by the
 * referenced side's triggers, which this path never disables for other sessions), so after step 2
 * every row of the table satisfies every key at COMMIT: the same guarantee as the per-row triggers,
 * at a cost proportional to the unit. Only for a role allowed to set `session_replication_role` (a
 * superuser, or on PostgreSQL 15+ a role granted SET on it); otherwise bulk-keys.ts or the per-row
 * checks apply. Only plain single-column keys (the same rule as bulk-keys.ts).
 */
import { type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import type { FactTable, WarehouseTable } from '../../../shared/schema/warehouse.ts';
import type { FactTableState, ForeignKey } from './bulk-keys.ts';

/**
 * The pure rule: which fact tables of a unit get their new rows' keys checked set-based (for a
 * role that may skip the key triggers). At least `minRows` rows in the unit, as for bulk-keys.ts
 * (incremental units keep the per-row checks); no bound on what the table holds (the check reads
 * only the unit's rows); plain keys only; and no trigger or rule of the table's own, since the
 * inserts run with every trigger of the table off.
 */
export function chooseNewRowTables(
  unitRows: ReadonlyMap<WarehouseTable, number>,
  states: readonly FactTableState[],
  minRows: number,
): FactTable[] {
  return states
    .filter((s) => s.plainKeys && s.keyTriggersOnly && (unitRows.get(s.table) ?? 0) >= minRows)
    .map((s) => s.table);
}

const SETTING = z.object({ setting: z.string() });
const ALLOWED = z.object({ allowed: z.boolean() });
const VERSION = z.object({ version: z.number() });
const MISSING = z.object({ missing: z.array(z.number()) });
const noRows = sql.type(z.object({}));

/** May this session set session_replication_role (superuser, or PostgreSQL 15+ SET privilege)? */
export async function canSkipKeyTriggers(tx: DatabaseTransactionConnection): Promise<boolean> {
  if (await tx.oneFirst(sql.type(ALLOWED)`SELECT current_setting('is_superuser') = 'on' AS allowed`))
    return true;
  const version = await tx.oneFirst(
    sql.type(VERSION)`SELECT current_setting('server_version_num')::int AS version`,
  );
  if (version < 150_000) return false;
  return tx.oneFirst(
    sql.type(ALLOWED)`SELECT has_parameter_privilege('session_replication_role', 'SET') AS allowed`,
  );
}

/** Until the next `restoreKeyTriggers` or the end of the transaction: no per-row key triggers. */
export async function skipKeyTriggers(tx: DatabaseTransactionConnection): Promise<void> {
  await tx.query(
    sql.type(SETTING)`SELECT set_config('session_replication_role', 'replica', true) AS setting`,
  );
}

export async function restoreKeyTriggers(tx: DatabaseTransactionConnection): Promise<void> {
  await tx.query(sql.type(SETTING)`SELECT set_config('session_replication_role', 'origin', true) AS setting`);
}

/**
 * Checks `keys` (all of one fact table whose surrogate key is `surrogateKey`) for the rows with
 * `ids`, locking every referenced row FOR KEY SHARE; a violation raises the database's own 23503.
 * Must run in `origin` mode (after `restoreKeyTriggers`).
 */
export async function checkNewRows(
  tx: DatabaseTransactionConnection,
  keys: readonly ForeignKey[],
  surrogateKey: string,
  ids: readonly number[],
): Promise<void> {
  if (ids.length === 0 || keys.length === 0) return;
  const idArray = sql.array([...ids], 'int4');
  const fact = sql.identifier([keys[0]!.schema, keys[0]!.table]);
  const id = sql.identifier([surrogateKey]);
  // One read of the new rows (by surrogate id) for every key, then per key its distinct values
  // and the referenced rows locked; the result: per key, how many values have no row.
  const columns = [...new Set(keys.map((k) => k.column))];
  const ctes = keys.map(
    (k, i) => sql.fragment`,
      ${sql.identifier([`needed_${i}`])} AS MATERIALIZED (
        SELECT DISTINCT n.${sql.identifier([k.column])} AS v FROM new_rows n WHERE n.${sql.identifier([k.column])} IS NOT NULL
      ), ${sql.identifier([`locked_${i}`])} AS MATERIALIZED (
        SELECT d.${sql.identifier([k.targetColumn])} AS v FROM ${sql.identifier([k.targetSchema, k.targetTable])} d
        WHERE d.${sql.identifier([k.targetColumn])} IN (SELECT v FROM ${sql.identifier([`needed_${i}`])})
        FOR KEY SHARE OF d
      )`,
  );
  const missing = keys.map(
    (_k, i) => sql.fragment`(SELECT count(*) FROM ${sql.identifier([`needed_${i}`])})
      - (SELECT count(*) FROM ${sql.identifier([`locked_${i}`])})`,
  );
  const counts = await tx.oneFirst(sql.type(MISSING)`
    WITH new_rows AS MATERIALIZED (
      SELECT ${sql.join(
        columns.map((c) => sql.identifier([c])),
        sql.fragment`, `,
      )} FROM ${fact} WHERE ${id} = ANY(${idArray})
    )${sql.join(ctes, sql.fragment``)}
    SELECT ARRAY[${sql.join(missing, sql.fragment`, `)}]::int[] AS missing`);
  for (const [i, k] of keys.entries()) {
    if (counts[i] === 0) continue;
    const column = sql.identifier([k.column]);
    const target = sql.identifier([k.targetSchema, k.targetTable]);
    const targetColumn = sql.identifier([k.targetColumn]);
    // The database's own check (and error) for just the offending rows: an UPDATE of a row this
    // transaction inserted re-checks its keys even when the value is unchanged.
    await tx.query(noRows`
      UPDATE ${fact} f SET ${column} = f.${column}
      WHERE f.${id} = ANY(${idArray}) AND f.${column} IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ${target} d WHERE d.${targetColumn} = f.${column})`);
    // Reached only if every offending row's referenced row appeared meanwhile: the UPDATE's own
    // triggers checked and locked them, so the key holds.
  }
}
