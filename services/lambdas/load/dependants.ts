/**
 * Which fact rows a held dimension row holds back (issue 19 item 6b), as pure rules.
 *
 * A unit travels with the dimension rows its facts reference, so a fact can miss its dimension
 * row only when the transform held that row back (the manifest's `held[].withholds`). Only the
 * load knows whether the warehouse already has that dimension row from an earlier unit: then the
 * fact loads (its foreign key is satisfied; the newer version of the dimension row waits in the
 * quarantine); otherwise the fact is held as a dependant until a later load brings the row.
 */
import type { HeldRow } from '../../../shared/lake/index.ts';
import { WAREHOUSE_SPECS } from '../../../shared/schema/warehouse/index.ts';
import type { FactTable } from '../../../shared/schema/warehouse.ts';

/** One dimension row a fact row needs: the dimension table and its key value. */
export interface DimensionKey {
  readonly table: string;
  readonly id: number;
}

/** Dimension table → ids: the dimension rows a unit held back and the warehouse does not have. */
export type MissingRows = ReadonlyMap<string, ReadonlySet<number>>;

/** Per fact table, its foreign-key columns to a dimension other than dim_date. */
export const FACT_REFERENCES: Readonly<
  Record<FactTable, readonly { readonly column: string; readonly table: string }[]>
> = Object.fromEntries(
  Object.values(WAREHOUSE_SPECS)
    .filter((spec) => spec.role === 'fact')
    .map((spec) => [
      spec.name,
      spec.columns
        .filter((c) => c.references && c.references.table !== 'dim_date')
        .map((c) => ({ column: c.name, table: c.references!.table })),
    ]),
) as unknown as Record<FactTable, readonly { column: string; table: string }[]>;

/** Every dimension row the held rows withhold, grouped by table (ids ascending). */
export function withheldRows(held: readonly HeldRow[]): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const row of held) {
    for (const w of row.withholds) {
      const ids = out.get(w.table) ?? new Set<number>();
      ids.add(w.id);
      out.set(w.table, ids);
    }
  }
  return new Map([...out].map(([table, ids]) => [table, [...ids].sort((a, b) => a - b)]));
}

/** The withheld rows minus the ones the warehouse has (`present`: table → ids found). */
export function missingRows(
  withheld: ReadonlyMap<string, readonly number[]>,
  present: ReadonlyMap<string, ReadonlySet<number>>,
): MissingRows {
  const out = new Map<string, Set<number>>();
  for (const [table, ids] of withheld) {
    const found = present.get(table);
    const missing = ids.filter((id) => !found?.has(id));
    if (missing.length > 0) out.set(table, new Set(missing));
  }
  return out;
}

/** The dimension rows `row` of `table` needs that are missing (empty: it can load). */
export function missingFor(
  table: FactTable,
  row: Readonly<Record<string, unknown>>,
  missing: MissingRows,
): DimensionKey[] {
  if (missing.size === 0) return [];
  const out: DimensionKey[] = [];
  for (const ref of FACT_REFERENCES[table]) {
    const value = row[ref.column];
    if (typeof value === 'number' && missing.get(ref.table)?.has(value))
      out.push({ table: ref.table, id: value });
  }
  return out;
}

/** A dependant's reason, naming each held row it waits for. */
export function dependantReason(needs: readonly DimensionKey[]): string {
  return `depends on held ${needs.map((n) => `${n.table} ${n.id}`).join(', ')}`;
}

/** Whether every dimension row a dependant needs is present now. */
export function canRelease(
  needs: readonly DimensionKey[],
  present: ReadonlyMap<string, ReadonlySet<number>>,
): boolean {
  return needs.every((n) => present.get(n.table)?.has(n.id) === true);
}
