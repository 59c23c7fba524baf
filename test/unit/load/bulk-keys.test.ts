import {
  BULK_MAX_HELD_PER_ROW,
  chooseBulkTables,
  type FactTableState,
} from '../../../services/lambdas/load/bulk-keys.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';

const state = (overrides: Partial<FactTableState> = {}): FactTableState => ({
  table: 'fact_sales_order',
  liveRows: 0,
  privileged: true,
  plainKeys: true,
  keyTriggersOnly: true,
  ...overrides,
});
const rows = (n: number) => new Map<WarehouseTable, number>([['fact_sales_order', n]]);

describe('chooseBulkTables (which fact tables get their keys checked set-based)', () => {
  it('takes a table that receives at least minRows, holding at most BULK_MAX_HELD_PER_ROW times as many', () => {
    expect(chooseBulkTables(rows(10_000), [state()], 10_000)).toEqual(['fact_sales_order']);
    expect(
      chooseBulkTables(rows(50_000), [state({ liveRows: 50_000 * BULK_MAX_HELD_PER_ROW })], 10_000),
    ).toEqual(['fact_sales_order']);
  });

  it('checks every part of a scale-100 first load set-based, not a part of a scale-1,000 one', () => {
    // Parts carry at most 100,000 fact rows; at scale 100 fact_payment ends at 1,581,500 rows.
    const payments = (n: number) => new Map<WarehouseTable, number>([['fact_payment', n]]);
    const held = (liveRows: number) => [state({ table: 'fact_payment', liveRows })];
    expect(chooseBulkTables(payments(100_000), held(1_500_000), 2_000)).toEqual(['fact_payment']);
    // A small tail part against that table costs less per row than re-checking 1.5 million rows.
    expect(chooseBulkTables(payments(50_000), held(1_500_000), 2_000)).toEqual([]);
    expect(chooseBulkTables(payments(100_000), held(15_000_000), 2_000)).toEqual([]);
  });

  it('keeps the per-row checks for a small unit, or one small against the table', () => {
    expect(chooseBulkTables(rows(9_999), [state()], 10_000)).toEqual([]);
    expect(
      chooseBulkTables(rows(20_000), [state({ liveRows: 20_000 * BULK_MAX_HELD_PER_ROW + 1 })], 10_000),
    ).toEqual([]);
    expect(chooseBulkTables(new Map(), [state()], 10_000)).toEqual([]);
  });

  it('keeps them when the role may not alter the table or a key is not a plain one', () => {
    expect(chooseBulkTables(rows(10_000), [state({ privileged: false })], 1)).toEqual([]);
    expect(chooseBulkTables(rows(10_000), [state({ plainKeys: false })], 1)).toEqual([]);
  });

  it('decides per table', () => {
    const unitRows = new Map<WarehouseTable, number>([
      ['fact_sales_order', 30_000],
      ['fact_payment', 500],
    ]);
    expect(chooseBulkTables(unitRows, [state(), state({ table: 'fact_payment' })], 10_000)).toEqual([
      'fact_sales_order',
    ]);
  });
});
