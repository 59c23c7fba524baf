/**
 * A TEST SEAM, never set in a deployment: `TOTES_TEST_DERIVATION_FAULT` makes the transform ship a
 * known bug, so the replay scenario (test/e2e/replay.test.ts) can put wrongly transformed units in
 * the warehouse through the real pipeline, "fix" the bug by unsetting the variable, and replay.
 * The Terraform and the local stack never set it; an unknown value is ignored (no fault).
 *
 * The faults are chosen to be the two hard cases for a replay:
 * - `sales-time-to-second`: fact_sales_order.last_updated_time loses its milliseconds, so the bug
 *   changed part of a fact row's version key (the replay must remove rows it cannot find by key);
 * - `design-name-upper`: dim_design.design_name upper-cased, a dimension written at the same
 *   source version as the correct row (newest-wins alone would keep the wrong one).
 * - `refuse-id-1`: the transform refuses staff 1 and sales order 1 as if a value of theirs could
 *   not be carried (WrongValueTypeError), so the quarantine scenario (test/e2e/quarantine.test.ts)
 *   can hold rows through the real pipeline and "fix" the code by unsetting the variable.
 * Read per unit from the process environment, so a test can switch it on and off between runs.
 */
import type { ParquetRow } from '../../../shared/parquet/index.ts';
import type { SourceTableName } from '../../../shared/schema/totesys.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { WrongValueTypeError } from './errors.ts';
import { PARQUET_SCHEMAS } from './parquet-schemas.ts';

export const DERIVATION_FAULT_ENV = 'TOTES_TEST_DERIVATION_FAULT';

const FAULTS = {
  'sales-time-to-second': { table: 'fact_sales_order', column: 'last_updated_time' },
  'design-name-upper': { table: 'dim_design', column: 'design_name' },
} as const satisfies Record<string, { table: WarehouseTable; column: string }>;

export type DerivationFault = keyof typeof FAULTS;

const REFUSALS = {
  'refuse-id-1': { staff: 1, sales_order: 1 },
} as const satisfies Record<string, Partial<Record<SourceTableName, number>>>;

/**
 * The row refusal the environment asks for: a function naming the error for a refused row (null
 * for every other row), or undefined when none is set.
 */
export function derivationRefusal(
  env: NodeJS.ProcessEnv = process.env,
): ((table: SourceTableName, id: unknown, where: string) => Error | null) | undefined {
  const value = env[DERIVATION_FAULT_ENV];
  if (value === undefined || !Object.hasOwn(REFUSALS, value)) return undefined;
  const refused: Partial<Record<SourceTableName, number>> = REFUSALS[value as keyof typeof REFUSALS];
  return (table, id, where) =>
    refused[table] === id
      ? new WrongValueTypeError(`${where}: ${table} ${id} refused by the test fault ${value}`)
      : null;
}

/** The fault the environment asks for, if it names a known one. */
export function derivationFault(env: NodeJS.ProcessEnv = process.env): DerivationFault | undefined {
  const value = env[DERIVATION_FAULT_ENV];
  return value !== undefined && Object.hasOwn(FAULTS, value) ? (value as DerivationFault) : undefined;
}

function damage(fault: DerivationFault, value: unknown): unknown {
  // A fact's time of day arrives as ms since midnight (rows.ts), a name as text.
  if (fault === 'sales-time-to-second') return typeof value === 'number' ? value - (value % 1000) : value;
  return typeof value === 'string' ? value.toUpperCase() : value;
}

/** `rows` of `table` as the buggy transform would have written them (unchanged without a fault). */
export function withDerivationFault(
  fault: DerivationFault | undefined,
  table: WarehouseTable,
  rows: readonly ParquetRow[],
): readonly ParquetRow[] {
  if (!fault || FAULTS[fault].table !== table) return rows;
  const index = PARQUET_SCHEMAS[table].columns.findIndex((c) => c.name === FAULTS[fault].column);
  return rows.map((row) => row.map((value, i) => (i === index ? damage(fault, value) : value)) as ParquetRow);
}
