import type { FactTableState } from '../../../services/lambdas/load/bulk-keys.ts';
import { chooseNewRowTables } from '../../../services/lambdas/load/new-row-keys.ts';
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

describe('chooseNewRowTables (which fact tables get their new rows checked set-based)', () => {
  it('takes a table that receives at least minRows, whatever it already holds', () => {
    expect(chooseNewRowTables(rows(2_000), [state()], 2_000)).toEqual(['fact_sales_order']);
    expect(chooseNewRowTables(rows(2_000), [state({ liveRows: 100_000_000 })], 2_000)).toEqual([
      'fact_sales_order',
    ]);
    expect(chooseNewRowTables(rows(1_999), [state()], 2_000)).toEqual([]);
    expect(chooseNewRowTables(new Map(), [state()], 1)).toEqual([]);
  });

  it('keeps the per-row checks for keys it does not check and for tables with triggers or rules of their own', () => {
    expect(chooseNewRowTables(rows(10_000), [state({ plainKeys: false })], 1)).toEqual([]);
    expect(chooseNewRowTables(rows(10_000), [state({ keyTriggersOnly: false })], 1)).toEqual([]);
  });

  it('does not need the role to own the tables (it needs no DDL)', () => {
    expect(chooseNewRowTables(rows(10_000), [state({ privileged: false })], 1)).toEqual(['fact_sales_order']);
  });
});
