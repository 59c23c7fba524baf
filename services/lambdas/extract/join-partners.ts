/**
 * Which partner rows a unit needs so that it is self-contained (brief invariant 7): pure
 * bookkeeping over primary and foreign keys, no I/O.
 *
 * - Forward: every row in the unit brings the current row of everything it references, except the
 *   orders a transaction points at (dim_transaction keeps those ids as plain values, and pulling an
 *   order in would create fact rows). So a fact brings its staff, counterparty, design, currency,
 *   delivery address, payment type and transaction; a counterparty (changed or partner) brings its
 *   legal address; a staff row its department.
 * - Reverse: a CHANGED address brings the current counterparties whose legal address it is, a
 *   CHANGED department the current staff of that department (their dimension rows must be
 *   refreshed). Partner rows do not trigger reverse lookups.
 */

import type { SourceValue } from '../../../shared/lake/index.ts';
import { FACT_SOURCE_TABLES, SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';

export interface ForwardReference {
  readonly table: SourceTableName;
  readonly column: string;
  readonly index: number;
  readonly target: SourceTableName;
}

export interface ReverseReference {
  /** When a row of this table changes… */
  readonly changed: SourceTableName;
  /** …these rows of `table` whose `column` holds its id come along. */
  readonly table: SourceTableName;
  readonly column: string;
}

const FACT_TABLES: ReadonlySet<SourceTableName> = new Set(FACT_SOURCE_TABLES);

/** Every foreign key in the source schema that a unit must satisfy (orders excepted, see above). */
export const FORWARD_REFERENCES: readonly ForwardReference[] = Object.values(SOURCE_TABLES).flatMap((table) =>
  table.columns.flatMap((column, index) =>
    column.references && !FACT_TABLES.has(column.references)
      ? [{ table: table.name, column: column.name, index, target: column.references }]
      : [],
  ),
);

export const REVERSE_REFERENCES: readonly ReverseReference[] = [
  { changed: 'address', table: 'counterparty', column: 'legal_address_id' },
  { changed: 'department', table: 'staff', column: 'department_id' },
];

export function primaryKeyIndex(table: SourceTableName): number {
  const t = SOURCE_TABLES[table];
  return t.columns.findIndex((c) => c.name === t.primaryKey);
}

function idOf(value: SourceValue | undefined, table: SourceTableName, column: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${table}.${column} is not an integer id: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Tracks the primary keys a unit already holds, per table, and the ids its rows reference. Holds
 * ids only, never rows, so a large unit streams through it.
 */
export class PartnerTracker {
  private readonly present = new Map<SourceTableName, Set<number>>();
  private readonly referenced = new Map<SourceTableName, Set<number>>();
  private readonly changed = new Map<SourceTableName, Set<number>>();

  /** Records rows placed in the unit (aligned with SOURCE_TABLES[table].columns). */
  add(table: SourceTableName, rows: Iterable<readonly SourceValue[]>, kind: 'changed' | 'partner'): void {
    const pk = primaryKeyIndex(table);
    const refs = FORWARD_REFERENCES.filter((r) => r.table === table);
    const present = setIn(this.present, table);
    const changed = kind === 'changed' ? setIn(this.changed, table) : null;
    for (const row of rows) {
      const id = idOf(row[pk], table, SOURCE_TABLES[table].primaryKey);
      if (id === null) throw new TypeError(`${table} row without a primary key`);
      present.add(id);
      changed?.add(id);
      for (const ref of refs) {
        const target = idOf(row[ref.index], table, ref.column);
        if (target !== null) setIn(this.referenced, ref.target).add(target);
      }
    }
  }

  has(table: SourceTableName, id: number): boolean {
    return this.present.get(table)?.has(id) ?? false;
  }

  /** Ids whose rows the unit holds, per table. */
  ids(table: SourceTableName): ReadonlySet<number> {
    return this.present.get(table) ?? new Set();
  }

  /** Reverse lookups to run: for each rule, the changed ids of its `changed` table (sorted). */
  reverseLookups(): Array<ReverseReference & { readonly ids: number[] }> {
    return REVERSE_REFERENCES.flatMap((rule) => {
      const ids = [...(this.changed.get(rule.changed) ?? [])].sort((a, b) => a - b);
      return ids.length > 0 ? [{ ...rule, ids }] : [];
    });
  }

  /**
   * Referenced ids the unit does not hold yet, per table (sorted). Fetching and `add`ing them may
   * reference more (a partner counterparty's address): call until empty.
   */
  missing(): Map<SourceTableName, number[]> {
    const result = new Map<SourceTableName, number[]>();
    for (const [table, ids] of this.referenced) {
      const present = this.present.get(table);
      const absent = [...ids].filter((id) => !present?.has(id)).sort((a, b) => a - b);
      if (absent.length > 0) result.set(table, absent);
    }
    return result;
  }
}

function setIn<K>(map: Map<K, Set<number>>, key: K): Set<number> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
