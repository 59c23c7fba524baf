/**
 * pipeline.quarantine inside the unit's transaction (issue 19 item 6b; README "Quarantine"):
 *
 * - a replacing generation first closes the rows its unit's earlier generation held (it re-derives
 *   them: carried now, or held again under the new generation);
 * - the dimension rows the unit's held rows withhold are looked up in the warehouse after the
 *   unit's dimensions merged: facts needing one that is missing are held as dependants
 *   (dependants.ts), the rest of the unit loads;
 * - every load releases the dependants (of any unit) whose dimension rows are now all present:
 *   each is inserted like any fact row (ON CONFLICT on its version key, so never twice), its
 *   surrogate id recorded for the unit that held it (so a replay of that unit replaces it), and
 *   marked released, all in the same transaction;
 * - the unit's held rows and dependants are recorded.
 * Rows are locked (FOR UPDATE) before release, so two loads never release one row twice.
 */
import { type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import type { HeldRow } from '../../../shared/lake/index.ts';
import { type FactTable, PIPELINE_SCHEMA } from '../../../shared/schema/warehouse.ts';
import { canRelease, type DimensionKey } from './dependants.ts';
import { mergeStatement, type Row, stageRow } from './merge.ts';
import { type FactLoad, LOAD_TABLES } from './tables.ts';

const QUARANTINE = sql.identifier([PIPELINE_SCHEMA, 'quarantine']);
const FACT_ROWS = sql.identifier([PIPELINE_SCHEMA, 'load_fact_rows']);

/** A fact row of this unit held back because a dimension row it needs is held and missing. */
export interface Dependant {
  readonly table: FactTable;
  readonly row: Row;
  readonly needs: readonly DimensionKey[];
  readonly reason: string;
}

/** The dimension rows of `wanted` (table → ids) the warehouse has, by table. */
export async function presentRows(
  tx: DatabaseTransactionConnection,
  wanted: ReadonlyMap<string, readonly number[]>,
): Promise<Map<string, Set<number>>> {
  const present = new Map<string, Set<number>>();
  for (const [table, ids] of wanted) {
    const spec = LOAD_TABLES[table as keyof typeof LOAD_TABLES];
    if (spec?.role !== 'dimension' || ids.length === 0) continue;
    const found = await tx.anyFirst(sql.type(z.object({ id: z.number().int() }))`
      SELECT ${sql.identifier([spec.key])} AS id FROM ${sql.identifier([spec.name])}
      WHERE ${sql.identifier([spec.key])} = ANY (${sql.array([...ids], 'int4')})`);
    present.set(table, new Set(found));
  }
  return present;
}

/** Closes the rows an earlier generation of `unitId` held: this generation re-derives them. */
export async function closeEarlierGenerations(
  tx: DatabaseTransactionConnection,
  unitId: string,
  generation: number,
): Promise<number> {
  const result = await tx.query(sql.type(z.object({}))`
    UPDATE ${QUARANTINE} SET "released_at" = now(), "released_by" = ${`replaced by generation ${generation}`}
    WHERE "unit_id" = ${unitId} AND "released_at" IS NULL AND "generation" < ${generation}`);
  return result.rowCount;
}

const naturalKeyOf = (table: string, id: unknown) => `${table} ${id === null || id === undefined ? '?' : id}`;

/** Records the unit's held rows and dependants (one statement). */
export async function recordHeld(
  tx: DatabaseTransactionConnection,
  unit: { readonly unitId: string; readonly generation: number },
  held: readonly HeldRow[],
  dependants: readonly Dependant[],
): Promise<void> {
  const entries = [
    ...held.map((h) => ({
      kind: 'held',
      table_name: h.table,
      natural_key: naturalKeyOf(h.table, h.id),
      version: h.lastUpdated,
      error_class: h.errorClass,
      reason: `${h.reason} (from ${h.object})`,
      row: h.row,
      depends_on: [],
    })),
    ...dependants.map((d) => {
      const spec = LOAD_TABLES[d.table] as FactLoad;
      return {
        kind: 'dependant',
        table_name: d.table,
        natural_key: naturalKeyOf(d.table, d.row[spec.naturalId]),
        version: `${d.row.last_updated_date} ${d.row.last_updated_time}`,
        error_class: 'HeldDependency',
        reason: d.reason,
        row: d.row,
        depends_on: d.needs,
      };
    }),
  ];
  if (entries.length === 0) return;
  await tx.query(sql.type(z.object({}))`
    INSERT INTO ${QUARANTINE} ("unit_id", "generation", "kind", "table_name", "natural_key", "version",
      "error_class", "reason", "row", "depends_on")
    SELECT ${unit.unitId}, ${unit.generation}, r."kind", r."table_name", r."natural_key", r."version",
      r."error_class", r."reason", r."row", r."depends_on"
    FROM jsonb_to_recordset(${sql.jsonb(entries)}) AS r("kind" text, "table_name" text,
      "natural_key" text, "version" text, "error_class" text, "reason" text, "row" jsonb, "depends_on" jsonb)`);
}

const OPEN_DEPENDANT = z.object({
  held_id: z.number().int(),
  unit_id: z.string(),
  table_name: z.string(),
  row: z.record(z.string(), z.unknown()),
  depends_on: z.array(z.object({ table: z.string(), id: z.number().int() })),
});

/**
 * Releases every open dependant whose dimension rows are all in the warehouse now: inserted as a
 * fact row of the unit that held it, marked released by `by`. Returns how many were released.
 */
export async function releaseDependants(tx: DatabaseTransactionConnection, by: string): Promise<number> {
  const open = await tx.any(sql.type(OPEN_DEPENDANT)`
    SELECT "held_id", "unit_id", "table_name", "row", "depends_on" FROM ${QUARANTINE}
    WHERE "kind" = 'dependant' AND "released_at" IS NULL ORDER BY "held_id" FOR UPDATE`);
  if (open.length === 0) return 0;
  const wanted = new Map<string, number[]>();
  for (const d of open)
    for (const n of d.depends_on) {
      const ids = wanted.get(n.table);
      if (ids) ids.push(n.id);
      else wanted.set(n.table, [n.id]);
    }
  const present = await presentRows(tx, wanted);
  const ready = open.filter((d) => canRelease(d.depends_on, present));
  // Per owner unit and fact table: one merge, its new surrogate ids added to the owner's record.
  const groups = new Map<string, (typeof ready)[number][]>();
  for (const d of ready) {
    const key = JSON.stringify([d.unit_id, d.table_name]);
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  for (const [key, rows] of groups) {
    const [unitId, table] = JSON.parse(key) as [string, FactTable];
    const spec = LOAD_TABLES[table];
    if (spec?.role !== 'fact') throw new Error(`quarantine row of unknown fact table ${table}`);
    const staged = rows.map((d, i) => stageRow(spec, d.row, i));
    const merged = await tx.one(mergeStatement(spec, staged));
    if (merged.ids && merged.ids.length > 0) {
      await tx.query(sql.type(z.object({}))`
        INSERT INTO ${FACT_ROWS} AS f ("unit_id", "fact_table", "record_ids")
        VALUES (${unitId}, ${table}, ${sql.array(merged.ids, 'int4')})
        ON CONFLICT ("unit_id", "fact_table") DO UPDATE SET "record_ids" = f."record_ids" || EXCLUDED."record_ids"`);
    }
  }
  if (ready.length > 0) {
    await tx.query(sql.type(z.object({}))`
      UPDATE ${QUARANTINE} SET "released_at" = now(), "released_by" = ${by}
      WHERE "held_id" = ANY (${sql.array(
        ready.map((d) => d.held_id),
        'int4',
      )})`);
  }
  return ready.length;
}
