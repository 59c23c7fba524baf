/**
 * Rows the transform cannot carry (issue 19 item 6b): which failures hold back one row instead of
 * the unit, what a held row records, and the bound that tells a poison row from a broken unit.
 *
 * Row-level: a value the source schema or the warehouse column does not allow
 * (WrongValueTypeError), a join partner missing (MissingJoinPartnerError), a currency without a
 * name (UnknownCurrencyError). Everything else — a malformed manifest or object, an unknown table
 * or column, a lake conflict, a bug — still fails the whole unit (the DLQ), as before.
 */
import type { HeldRow } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import type { DimensionTable } from '../../../shared/schema/warehouse.ts';
import { MissingJoinPartnerError, UnknownCurrencyError, WrongValueTypeError } from './errors.ts';

/**
 * More held rows than this in one unit is not a poison row but a systemic failure (a bug that
 * refuses every row, a broken extract): the unit fails whole with the first row's error, to the
 * DLQ, as before. It also bounds what a processed manifest carries.
 */
export const DEFAULT_MAX_HELD_ROWS = 1_000;

export function isRowLevel(error: unknown): error is Error {
  return (
    error instanceof WrongValueTypeError ||
    error instanceof MissingJoinPartnerError ||
    error instanceof UnknownCurrencyError
  );
}

/** The dimension each source table's rows become (dim_counterparty also needs its address). */
const DIMENSION_OF: Readonly<Partial<Record<SourceTableName, Exclude<DimensionTable, 'dim_date'>>>> = {
  address: 'dim_location',
  counterparty: 'dim_counterparty',
  staff: 'dim_staff',
  currency: 'dim_currency',
  design: 'dim_design',
  payment_type: 'dim_payment_type',
  transaction: 'dim_transaction',
};

/**
 * A held source row as the manifest carries it. `row` is the whole row by column name; `id` and
 * `lastUpdated` are read from it when they are what the schema says (else null).
 */
export function heldRow(
  table: SourceTableName,
  object: string,
  row: Readonly<Record<string, unknown>>,
  error: Error,
): HeldRow {
  const rawId = row[SOURCE_TABLES[table].primaryKey];
  const id = Number.isSafeInteger(rawId) ? (rawId as number) : null;
  const rawUpdated = row.last_updated;
  const dimension = DIMENSION_OF[table];
  return {
    table,
    id,
    lastUpdated: typeof rawUpdated === 'string' ? rawUpdated : null,
    object,
    errorClass: error.name,
    reason: error.message,
    row,
    withholds: dimension && id !== null ? [{ table: dimension, id }] : [],
  };
}

/** A canonical-order source row by column name. */
export function namedRow(table: SourceTableName, row: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(SOURCE_TABLES[table].columns.map((c, i) => [c.name, row[i]]));
}

export class TooManyHeldRowsError extends Error {
  override name = 'TooManyHeldRowsError';
}

/** The unit's held rows, at most `max`; one more fails the unit with that row's own error. */
export class HeldRows {
  readonly rows: HeldRow[] = [];
  private readonly max: number;

  constructor(max: number = DEFAULT_MAX_HELD_ROWS) {
    this.max = max;
  }

  add(held: HeldRow, error: Error): void {
    if (this.rows.length >= this.max) {
      throw new TooManyHeldRowsError(
        `more than ${this.max} rows of the unit cannot be carried, so this is not one poison row but the unit or the code; the unit fails whole. Row ${this.max + 1}: ${error.name}: ${error.message}`,
        { cause: error },
      );
    }
    this.rows.push(held);
  }
}
