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
 */
import type { SourceValue } from '../../../shared/lake/index.ts';
import type { ParquetRow } from '../../../shared/parquet/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import type { DimensionTable, FactTable } from '../../../shared/schema/warehouse.ts';
import { MissingJoinPartnerError, UnknownCurrencyError, WrongValueTypeError } from './errors.ts';
import type { SourceTableRows } from './validate.ts';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
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

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Dates already proven valid (they repeat heavily within a unit); bounded. */
const validDates = new Set<string>();

/** A 'YYYY-MM-DD' string that names a real calendar day, or WrongValueTypeError. */
export function checkDate(value: string, where: string): string {
  if (validDates.has(value)) return value;
  const match = DATE_PATTERN.exec(value);
  if (match) {
    const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    if (new Date(ms).toISOString().slice(0, 10) === value) {
      if (validDates.size > 100_000) validDates.clear();
      validDates.add(value);
      return value;
    }
  }
  throw new WrongValueTypeError(`${where}: ${JSON.stringify(value)} is not a calendar date 'YYYY-MM-DD'`);
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' → [date, time], both checked. */
export function splitTimestamp(value: string, where: string): [string, string] {
  const date = checkDate(value.slice(0, 10), where);
  const time = value.slice(11);
  const [h, m, s] = [Number(time.slice(0, 2)), Number(time.slice(3, 5)), Number(time.slice(6, 8))];
  if (h > 23 || m > 59 || s > 59) {
    throw new WrongValueTypeError(`${where}: ${JSON.stringify(value)} is not a valid timestamp`);
  }
  return [date, time];
}

/** One dim_date row: date_id, year, month, day, day_of_week (ISO: Mon 1 … Sun 7), day_name, month_name, quarter. */
export function dimDateRow(date: string): ParquetRow {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return [
    date,
    year,
    month,
    day,
    weekday === 0 ? 7 : weekday,
    DAY_NAMES[weekday]!,
    MONTH_NAMES[month - 1]!,
    Math.floor((month - 1) / 3) + 1,
  ];
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

/** numeric(10,2): at most 2 decimals and 8 integer digits, or the warehouse would alter the value. */
export function checkNumeric10_2(value: string, where: string): string {
  const [whole = '', fraction = ''] = value.replace(/^-/, '').split('.');
  if (fraction.length > 2 || whole.replace(/^0+/, '').length > 8) {
    throw new WrongValueTypeError(`${where}: ${value} does not fit numeric(10,2) without being altered`);
  }
  return value;
}

/** Column index lookup for a source table (canonical order). */
function columnIndexes<T extends SourceTableName>(table: T): Record<string, number> {
  const out: Record<string, number> = {};
  SOURCE_TABLES[table].columns.forEach((c, i) => {
    out[c.name] = i;
  });
  return out;
}

const IDX = Object.fromEntries(
  (Object.keys(SOURCE_TABLES) as SourceTableName[]).map((t) => [t, columnIndexes(t)]),
) as Record<SourceTableName, Record<string, number>>;

type Row = readonly SourceValue[];
const get = (row: Row, table: SourceTableName, column: string): SourceValue => row[IDX[table][column]!]!;
const str = (row: Row, table: SourceTableName, column: string) => get(row, table, column) as string;
const num = (row: Row, table: SourceTableName, column: string) => get(row, table, column) as number;
const maxVersion = (a: string, b: string) => (a >= b ? a : b);

/** address_line_1, address_line_2, district, city, postal_code, country, phone (nulls kept). */
function addressValues(address: Row): ParquetRow {
  return [
    str(address, 'address', 'address_line_1'),
    get(address, 'address', 'address_line_2'),
    get(address, 'address', 'district'),
    str(address, 'address', 'city'),
    str(address, 'address', 'postal_code'),
    str(address, 'address', 'country'),
    str(address, 'address', 'phone'),
  ];
}

type VersionedDimension = Exclude<DimensionTable, 'dim_date'>;

interface DimensionEntry {
  readonly version: string;
  readonly row: ParquetRow;
}

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

export class UnitTransformer {
  private readonly addresses = new Map<number, Row>();
  private readonly departments = new Map<number, Row>();
  /** Joined at the end, so parts may arrive in any order. Value: [row, key of the part]. */
  private readonly counterparties = new Map<number, [Row, string]>();
  private readonly staff = new Map<number, [Row, string]>();
  private readonly dimensions = new Map<VersionedDimension, Map<number, DimensionEntry>>();
  private readonly dates = new Set<string>();
  private readonly factVersions = new Set<string>();
  private newest: string | null = null;

  /** Newest source last_updated seen in the unit (drives the freshness metric downstream). */
  get newestSourceUpdate(): string | null {
    return this.newest;
  }

  /**
   * Adds one validated table part, in any order (joins are resolved by `dimensionOutputs`).
   * Returns the fact rows of a fact table part.
   */
  addTable(part: SourceTableRows): FactOutput | null {
    for (const row of part.rows) {
      const updated = str(row, part.table, 'last_updated');
      if (this.newest === null || updated > this.newest) this.newest = updated;
    }
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
          let name: string;
          try {
            name = currencyName(code);
          } catch (error) {
            if (error instanceof UnknownCurrencyError)
              throw new UnknownCurrencyError(`${where}: ${error.message}`);
            throw error;
          }
          this.putDimension(
            'dim_currency',
            num(row, 'currency', 'currency_id'),
            str(row, 'currency', 'last_updated'),
            [num(row, 'currency', 'currency_id'), code, name],
          );
        }
        return null;
      case 'design':
        this.copyWithoutTimestamps(part, 'dim_design');
        return null;
      case 'payment_type':
        this.copyWithoutTimestamps(part, 'dim_payment_type');
        return null;
      case 'transaction':
        this.copyWithoutTimestamps(part, 'dim_transaction');
        return null;
      case 'sales_order':
      case 'purchase_order':
      case 'payment':
        return this.addFacts(part);
    }
  }

  /** dim_design, dim_payment_type, dim_transaction: the source columns minus the timestamps, nulls kept. */
  private copyWithoutTimestamps(part: SourceTableRows, dimension: VersionedDimension): void {
    const table = SOURCE_TABLES[part.table];
    const kept = table.columns.flatMap((c, i) =>
      c.name === 'created_at' || c.name === 'last_updated' ? [] : [i],
    );
    for (const row of part.rows) {
      const id = num(row, part.table, table.primaryKey);
      this.putDimension(
        dimension,
        id,
        str(row, part.table, 'last_updated'),
        kept.map((i) => row[i]!),
      );
    }
  }

  private keepNewest(map: Map<number, Row>, id: number, row: Row, table: SourceTableName): void {
    const existing = map.get(id);
    if (!existing || str(row, table, 'last_updated') > str(existing, table, 'last_updated')) map.set(id, row);
  }

  private putDimension(
    table: VersionedDimension,
    id: number,
    version: string,
    values: ParquetValueRow,
  ): void {
    let rows = this.dimensions.get(table);
    if (!rows) {
      rows = new Map();
      this.dimensions.set(table, rows);
    }
    const existing = rows.get(id);
    // Newest wins; on a tie the first one stays (the same version twice is the same row).
    if (!existing || version > existing.version) rows.set(id, { version, row: [...values, version] });
  }

  private addAddresses(part: SourceTableRows): void {
    for (const row of part.rows) {
      const id = num(row, 'address', 'address_id');
      this.keepNewest(this.addresses, id, row, 'address');
      this.putDimension('dim_location', id, str(row, 'address', 'last_updated'), [id, ...addressValues(row)]);
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
      if (!address) {
        throw new MissingJoinPartnerError(
          `${key}: counterparty ${id} references legal address ${addressId}, which is not in the unit`,
        );
      }
      const version = maxVersion(
        str(row, 'counterparty', 'last_updated'),
        str(address, 'address', 'last_updated'),
      );
      // Same order as dim_location's columns, prefixed `counterparty_legal_`; phone → _phone_number.
      this.putDimension('dim_counterparty', id, version, [
        id,
        str(row, 'counterparty', 'counterparty_legal_name'),
        ...addressValues(address),
      ]);
    }
  }

  private joinStaff(): void {
    for (const [id, [row, key]] of this.staff) {
      const departmentId = num(row, 'staff', 'department_id');
      const department = this.departments.get(departmentId);
      if (!department) {
        throw new MissingJoinPartnerError(
          `${key}: staff ${id} references department ${departmentId}, which is not in the unit`,
        );
      }
      const location = get(department, 'department', 'location');
      if (location === null) {
        // dim_staff.location is NOT NULL in the warehouse; the source allows null.
        throw new WrongValueTypeError(
          `${key}: staff ${id}: department ${departmentId} has no location, dim_staff.location is NOT NULL`,
        );
      }
      const version = maxVersion(
        str(row, 'staff', 'last_updated'),
        str(department, 'department', 'last_updated'),
      );
      this.putDimension('dim_staff', id, version, [
        id,
        str(row, 'staff', 'first_name'),
        str(row, 'staff', 'last_name'),
        str(department, 'department', 'department_name'),
        location,
        str(row, 'staff', 'email_address'),
      ]);
    }
  }

  private date(value: string, where: string): string {
    const date = checkDate(value, where);
    this.dates.add(date);
    return date;
  }

  private stamp(value: string, where: string): [string, string] {
    const [date, time] = splitTimestamp(value, where);
    this.dates.add(date);
    return [date, time];
  }

  private addFacts(part: SourceTableRows): FactOutput {
    const table = part.table as 'sales_order' | 'purchase_order' | 'payment';
    const idColumn = SOURCE_TABLES[table].primaryKey;
    const rows: ParquetRow[] = [];
    let duplicates = 0;
    part.rows.forEach((row, r) => {
      const id = num(row, table, idColumn);
      const where = `${part.key}: ${table} ${id} (row ${r})`;
      const updatedAt = str(row, table, 'last_updated');
      const version = `${table}|${id}|${updatedAt}`;
      if (this.factVersions.has(version)) {
        duplicates += 1;
        return;
      }
      this.factVersions.add(version);
      const [createdDate, createdTime] = this.stamp(str(row, table, 'created_at'), where);
      const [updatedDate, updatedTime] = this.stamp(updatedAt, where);
      const head: ParquetValueRow = [id, createdDate, createdTime, updatedDate, updatedTime];
      if (table === 'sales_order') {
        rows.push([
          ...head,
          num(row, table, 'staff_id'),
          num(row, table, 'counterparty_id'),
          num(row, table, 'units_sold'),
          checkNumeric10_2(str(row, table, 'unit_price'), `${where}: unit_price`),
          num(row, table, 'currency_id'),
          num(row, table, 'design_id'),
          this.date(str(row, table, 'agreed_payment_date'), `${where}: agreed_payment_date`),
          this.date(str(row, table, 'agreed_delivery_date'), `${where}: agreed_delivery_date`),
          num(row, table, 'agreed_delivery_location_id'),
        ]);
      } else if (table === 'purchase_order') {
        rows.push([
          ...head,
          num(row, table, 'staff_id'),
          num(row, table, 'counterparty_id'),
          str(row, table, 'item_code'),
          num(row, table, 'item_quantity'),
          str(row, table, 'item_unit_price'),
          num(row, table, 'currency_id'),
          this.date(str(row, table, 'agreed_delivery_date'), `${where}: agreed_delivery_date`),
          this.date(str(row, table, 'agreed_payment_date'), `${where}: agreed_payment_date`),
          num(row, table, 'agreed_delivery_location_id'),
        ]);
      } else {
        rows.push([
          ...head,
          num(row, table, 'transaction_id'),
          num(row, table, 'counterparty_id'),
          str(row, table, 'payment_amount'),
          num(row, table, 'currency_id'),
          num(row, table, 'payment_type_id'),
          get(row, table, 'paid') as boolean,
          this.date(str(row, table, 'payment_date'), `${where}: payment_date`),
        ]);
      }
    });
    const factTable: FactTable =
      table === 'sales_order'
        ? 'fact_sales_order'
        : table === 'purchase_order'
          ? 'fact_purchase_order'
          : 'fact_payment';
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
      if (table === 'dim_date') return { table, rows: [...this.dates].sort().map(dimDateRow) };
      const entries = this.dimensions.get(table);
      const rows = entries ? [...entries.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e.row) : [];
      return { table, rows };
    });
  }
}

type ParquetValueRow = ParquetRow;
