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
 * Read per unit from the process environment, so a test can switch it on and off between runs.
 */
import type { ParquetRow } from '../../../shared/parquet/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { PARQUET_SCHEMAS } from './parquet-schemas.ts';

export const DERIVATION_FAULT_ENV = 'TOTES_TEST_DERIVATION_FAULT';

const FAULTS = {
  'sales-time-to-second': { table: 'fact_sales_order', column: 'last_updated_time' },
  'design-name-upper': { table: 'dim_design', column: 'design_name' },
} as const satisfies Record<string, { table: WarehouseTable; column: string }>;

export type DerivationFault = keyof typeof FAULTS;

/** The fault the environment asks for, if it names a known one. */
export function derivationFault(env: NodeJS.ProcessEnv = process.env): DerivationFault | undefined {
  const value = env[DERIVATION_FAULT_ENV];
  return value !== undefined && Object.hasOwn(FAULTS, value) ? (value as DerivationFault) : undefined;
}

function damage(fault: DerivationFault, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return fault === 'sales-time-to-second' ? `${value.slice(0, 8)}.000` : value.toUpperCase();
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
