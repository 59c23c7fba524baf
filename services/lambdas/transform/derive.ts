/**
 * The transformation of one ingestion unit into warehouse rows (spec §2, §2.1, §2.2, §3), as pure
 * code over validated source rows. No I/O: services/lambdas/transform/unit.ts feeds it table parts and
 * writes what it returns.
 *
 * - Dimensions accumulate over the unit (deduplicated by id, the newest source version wins) and
 *   are emitted at the end; each carries `source_version` = the source last_updated behind it
 *   (dim_counterparty: the later of counterparty and address; dim_staff: of staff and department).
 * - A unit is self-contained: a changed address arrives with the counterparties built on it, a
 *   changed department with its staff, so rebuilding every dimension row from the rows present
 *   refreshes all of them (spec §2.2).
 * - Fact parts stream through (`addTable` returns their rows); every date a fact row references is
 *   remembered for dim_date.
 * - A row that cannot be carried (held.ts `isRowLevel`) goes to the `hold` callback, when one is
 *   given, and the rest of the unit goes on; without it, it fails the unit.
 */
import type { ParquetRow } from '../../../shared/parquet/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { civilToDays, daysToDate, isoWeekday } from '../../../shared/schema/value-kinds.ts';
import { WAREHOUSE_SPECS } from '../../../shared/schema/warehouse/index.ts';
import { SOURCE_VERSION } from '../../../shared/schema/warehouse/lake.ts';
import { type DimensionTable, FACT_TABLES, type FactTable } from '../../../shared/schema/warehouse.ts';
import { DaySet } from './day-set.ts';
import { DimensionRows } from './dimension-rows.ts';
import { MissingJoinPartnerError, UnknownCurrencyError, WrongValueTypeError } from './errors.ts';
import { FactVersions } from './fact-versions.ts';
import { isRowLevel } from './held.ts';
import {
  type RowBuilder,
  type RowSources,
  rowBuilder,
  type SourceRow,
  validatedDays,
  validatedTimeMillis,
  type Where,
} from './rows.ts';
import type { SourceTableRows } from './validate.ts';

/**
 * ISO order: Monday 1 … Sunday 7. The reconcile oracle (services/tools/ops/reconcile/values.ts)
 * holds its own copy on purpose: it checks these rules without importing them.
 */
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** Every warehouse table's row builder (./rows.ts), from its spec. */
const BUILDERS = Object.fromEntries(
  Object.values(WAREHOUSE_SPECS).map((spec) => [spec.name, rowBuilder(spec)]),
) as Readonly<Record<DimensionTable | FactTable, RowBuilder>>;

/**
 * The positions in a fact row of the day and the time of day of its source `last_updated` (the
 * version): a built row's version is read from them, not cut from the text a second time.
 */
function versionPositions(builder: RowBuilder): { readonly day: number; readonly time: number } {
  const at = (kind: 'date-of' | 'time-of') => {
    const index = builder.columns.findIndex(
      (c) => c.source.kind === kind && c.source.column === 'last_updated',
    );
    if (index < 0) throw new Error(`${builder.spec.name} has no ${kind} last_updated column`);
    return index;
  };
  return { day: at('date-of'), time: at('time-of') };
}

/** The fact table built from each fact source table (the spec's `source`). */
const FACT_OF_SOURCE = new Map<SourceTableName, FactTable>(
  FACT_TABLES.map((table) => [WAREHOUSE_SPECS[table].source!, table]),
);

/** One dim_date row: the calendar attributes of `date` (ISO weekday: Monday 1 … Sunday 7). */
export function dimDateRow(date: string): ParquetRow {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  // Calendar arithmetic, not Date.UTC (which maps years 0–99 to 1900–1999).
  const weekday = isoWeekday(civilToDays(year, month, day));
  return BUILDERS.dim_date.build({}, date, {
    date_id: date,
    year,
    month,
    day,
    day_of_week: weekday,
    day_name: DAY_NAMES[weekday - 1]!,
    month_name: MONTH_NAMES[month - 1]!,
    quarter: Math.floor((month - 1) / 3) + 1,
  });
}

const currencyNames = new Intl.DisplayNames(['en'], { type: 'currency' });

/** CLDR's English name (GBP → British Pound); a code it cannot name fails loudly. */
export function currencyName(code: string): string {
  let name: string | undefined;
  try {
    name = currencyNames.of(code);
  } catch (error) {
    throw new UnknownCurrencyError(`currency code ${JSON.stringify(code)} is not a valid ISO 4217 code`, {
      cause: error,
    });
  }
  if (!name || name.toUpperCase() === code.toUpperCase()) {
    throw new UnknownCurrencyError(`currency code ${JSON.stringify(code)} has no English name in CLDR`);
  }
  return name;
}

/** Column position lookup for a source table (canonical order), resolved once. */
const IDX = Object.fromEntries(
  (Object.keys(SOURCE_TABLES) as SourceTableName[]).map((t) => [
    t,
    Object.fromEntries(SOURCE_TABLES[t].columns.map((c, i) => [c.name, i])),
  ]),
) as Record<SourceTableName, Record<string, number>>;

type Row = SourceRow;
const get = (row: Row, table: SourceTableName, column: string) => row[IDX[table][column]!]!;
const str = (row: Row, table: SourceTableName, column: string) => get(row, table, column) as string;
const num = (row: Row, table: SourceTableName, column: string) => get(row, table, column) as number;
const maxVersion = (a: string, b: string) => (a >= b ? a : b);

type VersionedDimension = Exclude<DimensionTable, 'dim_date'>;

const MS_PER_DAY = 86_400_000;

/** The version a dimension row carries: its `source_version` (the entry kept per id is the row alone). */
const versionOf = (table: VersionedDimension, row: ParquetRow) =>
  row[BUILDERS[table].versionPosition] as string;

export interface FactOutput {
  readonly table: FactTable;
  readonly rows: ParquetRow[];
  /** Versions (natural id + last_updated) already seen in this unit, skipped. */
  readonly duplicates: number;
}

/** Dimension tables in the order they are emitted (dim_date first: the facts reference it). */
export const DIMENSION_OUTPUT_ORDER: readonly DimensionTable[] = [
  'dim_date',
  'dim_location',
  'dim_counterparty',
  'dim_staff',
  'dim_currency',
  'dim_design',
  'dim_payment_type',
  'dim_transaction',
];

/** Where a row that cannot be carried goes: its table, the source row, its part's key, why. */
export type HoldRow = (table: SourceTableName, row: SourceRow, part: string, error: Error) => void;

export class UnitTransformer {
  /** Ids of join partners (address, department) held before they reached this transformer. */
  private readonly heldPartners = new Map<SourceTableName, Set<number>>();
  private readonly addresses = new Map<number, Row>();
  private readonly departments = new Map<number, Row>();
  /** Joined at the end, so parts may arrive in any order. Value: [row, key of the part]. */
  private readonly counterparties = new Map<number, [Row, string]>();
  private readonly staff = new Map<number, [Row, string]>();
  private readonly dimensions = new Map<VersionedDimension, DimensionRows>();
  /** Every date a fact references, as days since 1970 (the built rows carry dates so: rows.ts). */
  private readonly dates = new DaySet();
  /** Per fact source table, the versions (id, last_updated) already emitted in this unit. */
  private readonly factVersions = new Map<SourceTableName, FactVersions>();
  private newest: string | null = null;

  private readonly hold: HoldRow | undefined;

  constructor(hold?: HoldRow) {
    this.hold = hold;
  }

  /** A row of `table` with `id` was held before reaching us (rows joined to it say so). */
  noteHeld(table: SourceTableName, id: number): void {
    let ids = this.heldPartners.get(table);
    if (!ids) {
      ids = new Set();
      this.heldPartners.set(table, ids);
    }
    ids.add(id);
  }

  /** Holds the row when it is a row-level failure and a holder is given; else fails the unit. */
  private holdOrThrow(table: SourceTableName, row: Row, part: string, error: unknown): void {
    if (!this.hold || !isRowLevel(error)) throw error;
    this.hold(table, row, part, error);
  }

  private missingPartner(key: string, what: string, table: SourceTableName, id: number): Error {
    const held = this.heldPartners.get(table)?.has(id);
    return new MissingJoinPartnerError(
      held
        ? `${key}: ${what} depends on held ${table} ${id}`
        : `${key}: ${what} references ${table === 'address' ? 'legal address' : table} ${id}, which is not in the unit`,
    );
  }

  /** Newest source last_updated seen in the unit (drives the freshness metric downstream). */
  get newestSourceUpdate(): string | null {
    return this.newest;
  }

  /**
   * Adds one validated table part, in any order (joins are resolved by `dimensionOutputs`).
   * Returns the fact rows of a fact table part.
   */
  addTable(part: SourceTableRows): FactOutput | null {
    switch (part.table) {
      case 'design':
        this.copyColumns(part, 'dim_design');
        return null;
      case 'payment_type':
        this.copyColumns(part, 'dim_payment_type');
        return null;
      case 'transaction':
        this.copyColumns(part, 'dim_transaction');
        return null;
    }
    if (FACT_OF_SOURCE.has(part.table)) return this.addFacts(part);
    // The small tables (the large ones note their newest as they go).
    const updatedIndex = IDX[part.table].last_updated!;
    for (const row of part.rows) this.noteNewest(row[updatedIndex] as string);
    switch (part.table) {
      case 'address':
        this.addAddresses(part);
        return null;
      case 'department':
        for (const row of part.rows)
          this.keepNewest(this.departments, num(row, 'department', 'department_id'), row, 'department');
        return null;
      case 'counterparty':
        this.holdForJoin(this.counterparties, part);
        return null;
      case 'staff':
        this.holdForJoin(this.staff, part);
        return null;
      case 'currency':
        for (const row of part.rows) {
          const where = `${part.key}: currency ${num(row, 'currency', 'currency_id')}`;
          const code = str(row, 'currency', 'currency_code');
          try {
            let name: string;
            try {
              name = currencyName(code);
            } catch (error) {
              if (error instanceof UnknownCurrencyError)
                throw new UnknownCurrencyError(`${where}: ${error.message}`);
              throw error;
            }
            this.putDimension('dim_currency', num(row, 'currency', 'currency_id'), { currency: row }, where, {
              currency_name: name,
            });
          } catch (error) {
            this.holdOrThrow('currency', row, part.key, error);
          }
        }
        return null;
      default:
        throw new Error(`${part.key}: no warehouse table is built from ${part.table}`);
    }
  }

  private noteNewest(updated: string): void {
    if (this.newest === null || updated > this.newest) this.newest = updated;
  }

  /** dim_design, dim_payment_type, dim_transaction: one dimension row per source row, as the spec maps it. */
  private copyColumns(part: SourceTableRows, dimension: VersionedDimension): void {
    const table = part.table;
    const idIndex = IDX[table][SOURCE_TABLES[table].primaryKey]!;
    const updatedIndex = IDX[table].last_updated!;
    const builder = BUILDERS[dimension];
    const versionPosition = builder.versionPosition;
    const kept = this.dimensionRows(dimension);
    // No object per row but the built row itself (dim_transaction has a row per transaction): the
    // kept row carries its version, and one `where` serves the part (worded only on a refusal).
    let id = 0;
    const where = () => `${part.key}: ${table} ${id}`;
    let newest = this.newest;
    for (const row of part.rows) {
      id = row[idIndex] as number;
      const version = row[updatedIndex] as string;
      if (newest === null || version > newest) newest = version;
      const existing = kept.get(id);
      // Newest wins; on a tie the first one stays (the same version twice is the same row).
      if (existing !== undefined && version <= (existing[versionPosition] as string)) continue;
      try {
        kept.set(id, builder.buildRow(row, where, version));
      } catch (error) {
        this.holdOrThrow(table, row, part.key, error);
      }
    }
    this.newest = newest;
  }

  /** The rows kept so far of a versioned dimension, by id. */
  private dimensionRows(table: VersionedDimension): DimensionRows {
    let rows = this.dimensions.get(table);
    if (!rows) {
      rows = new DimensionRows();
      this.dimensions.set(table, rows);
    }
    return rows;
  }

  private keepNewest(map: Map<number, Row>, id: number, row: Row, table: SourceTableName): void {
    const existing = map.get(id);
    if (!existing || str(row, table, 'last_updated') > str(existing, table, 'last_updated')) map.set(id, row);
  }

  /**
   * Builds the dimension row from `sources` (its version: the newest last_updated among them) and
   * keeps it if it is the newest seen for `id`.
   */
  private putDimension(
    table: VersionedDimension,
    id: number,
    sources: RowSources,
    where: Where,
    derived: Readonly<Record<string, string>> = {},
  ): void {
    let version = '';
    for (const [name, row] of Object.entries(sources)) {
      version = maxVersion(version, str(row!, name as SourceTableName, 'last_updated'));
    }
    const rows = this.dimensionRows(table);
    const existing = rows.get(id);
    // Newest wins; on a tie the first one stays (the same version twice is the same row).
    if (!existing || version > versionOf(table, existing)) {
      rows.set(id, BUILDERS[table].build(sources, where, { ...derived, [SOURCE_VERSION]: version }));
    }
  }

  private addAddresses(part: SourceTableRows): void {
    for (const row of part.rows) {
      const id = num(row, 'address', 'address_id');
      this.keepNewest(this.addresses, id, row, 'address');
      try {
        this.putDimension('dim_location', id, { address: row }, `${part.key}: address ${id}`);
      } catch (error) {
        this.holdOrThrow('address', row, part.key, error);
      }
    }
  }

  /** Keeps the newest row per id of a table joined later, with the key of the part it came from. */
  private holdForJoin(map: Map<number, [Row, string]>, part: SourceTableRows): void {
    const pk = SOURCE_TABLES[part.table].primaryKey;
    for (const row of part.rows) {
      const id = num(row, part.table, pk);
      const existing = map.get(id);
      if (!existing || str(row, part.table, 'last_updated') > str(existing[0], part.table, 'last_updated')) {
        map.set(id, [row, part.key]);
      }
    }
  }

  private joinCounterparties(): void {
    for (const [id, [row, key]] of this.counterparties) {
      const addressId = num(row, 'counterparty', 'legal_address_id');
      const address = this.addresses.get(addressId);
      try {
        if (!address) throw this.missingPartner(key, `counterparty ${id}`, 'address', addressId);
        this.putDimension(
          'dim_counterparty',
          id,
          { counterparty: row, address },
          `${key}: counterparty ${id}`,
        );
      } catch (error) {
        this.holdOrThrow('counterparty', row, key, error);
      }
    }
  }

  private joinStaff(): void {
    for (const [id, [row, key]] of this.staff) {
      const departmentId = num(row, 'staff', 'department_id');
      const department = this.departments.get(departmentId);
      try {
        if (!department) throw this.missingPartner(key, `staff ${id}`, 'department', departmentId);
        const location = get(department, 'department', 'location');
        if (location === null) {
          // dim_staff.location is NOT NULL in the warehouse; the source allows null.
          throw new WrongValueTypeError(
            `${key}: staff ${id}: department ${departmentId} has no location, dim_staff.location is NOT NULL`,
          );
        }
        this.putDimension('dim_staff', id, { staff: row, department }, `${key}: staff ${id}`);
      } catch (error) {
        this.holdOrThrow('staff', row, key, error);
      }
    }
  }

  /** Fact rows as their spec maps them; every date they reference is remembered for dim_date. */
  private addFacts(part: SourceTableRows): FactOutput {
    const table = part.table;
    const factTable = FACT_OF_SOURCE.get(table);
    if (!factTable) throw new Error(`${part.key}: no fact table is built from ${table}`);
    const builder = BUILDERS[factTable];
    const dateKeys = builder.dateKeys;
    const { day: versionDay, time: versionTime } = versionPositions(builder);
    const dates = this.dates;
    const idColumn = SOURCE_TABLES[table].primaryKey;
    const rows: ParquetRow[] = [];
    let duplicates = 0;
    const idIndex = IDX[table][idColumn]!;
    const updatedIndex = IDX[table].last_updated!;
    let versions = this.factVersions.get(table);
    if (!versions) {
      versions = new FactVersions();
      this.factVersions.set(table, versions);
    }
    const rowsOfPart = part.rows;
    // The part's newest version, as its ms since 1970 (no text compared per row).
    let newestStamp = Number.NEGATIVE_INFINITY;
    let newestText: string | null = null;
    // One `where` for the part, reading the row being built (worded only if a value is refused).
    let id = 0;
    let r = 0;
    const where = () => `${part.key}: ${table} ${id} (row ${r})`;
    for (r = 0; r < rowsOfPart.length; r++) {
      const row = rowsOfPart[r]!;
      id = row[idIndex] as number;
      const updated = row[updatedIndex] as string;
      // Built first (a duplicate, rare, is built for nothing), so the version is read from the row.
      let built: ParquetRow | undefined;
      let refusal: unknown;
      try {
        built = builder.buildRow(row, where);
      } catch (error) {
        refusal = error;
      }
      // A validated timestamp ('YYYY-MM-DD HH:MM:SS.mmm', a real day) and its ms since 1970 name
      // each other, in the same order: the version is kept and compared as that number.
      const stamp =
        built === undefined
          ? validatedDays(updated) * MS_PER_DAY + validatedTimeMillis(updated)
          : (built[versionDay] as number) * MS_PER_DAY + (built[versionTime] as number);
      if (stamp > newestStamp) {
        newestStamp = stamp;
        newestText = updated;
      }
      // A fact version (id, last_updated) is emitted once per unit (a refused one is held once).
      if (!versions.add(id, stamp)) {
        duplicates += 1;
        continue;
      }
      if (built === undefined) {
        this.holdOrThrow(table, row, part.key, refusal);
        continue;
      }
      for (let k = 0; k < dateKeys.length; k++) dates.add(built[dateKeys[k]!] as number);
      rows.push(built);
    }
    if (newestText !== null) this.noteNewest(newestText);
    return { table: factTable, rows, duplicates };
  }

  /**
   * Every dimension's rows (dim_date: one per date a fact referenced, sorted), in output order.
   * Joins counterparty ⨝ address and staff ⨝ department here (MissingJoinPartnerError).
   */
  dimensionOutputs(): { readonly table: DimensionTable; readonly rows: ParquetRow[] }[] {
    this.joinCounterparties();
    this.joinStaff();
    return DIMENSION_OUTPUT_ORDER.map((table) => {
      if (table === 'dim_date') {
        const days = this.dates.sorted();
        return { table, rows: Array.from(days, (n) => dimDateRow(daysToDate(n))) };
      }
      // By id (DimensionRows sorts the ids as an Int32Array: no [id, row] pair per row).
      return { table, rows: this.dimensions.get(table)?.sortedById() ?? [] };
    });
  }
}
