import type { HistoryResult } from '../../../services/tools/ops/reconcile/history.ts';
import {
  formatMismatch,
  formatValue,
  renderHistoryReport,
  renderReconcileReport,
} from '../../../services/tools/ops/reconcile/render.ts';
import type { ReconcileResult } from '../../../services/tools/ops/reconcile/types.ts';

const zeroKinds = { missing: 0, extra: 0, different: 0, duplicate: 0, 'missing-date': 0, 'bad-date': 0 };

describe('formatMismatch', () => {
  it('shows expected versus actual, quoting text and spelling NULL', () => {
    expect(formatValue(null)).toBe('NULL');
    expect(formatValue('')).toBe('""');
    expect(formatValue("O'Keefe")).toBe('"O\'Keefe"');
    expect(
      formatMismatch({
        table: 'dim_location',
        kind: 'different',
        id: 2,
        column: 'address_line_2',
        expected: null,
        actual: '',
      }),
    ).toBe('different     id=2  address_line_2: expected NULL, actual ""');
  });

  it('describes each kind in words', () => {
    expect(
      formatMismatch({ table: 'fact_payment', kind: 'missing', id: 3, version: '2024-03-01 00:00:00.000' }),
    ).toBe('missing       id=3  version=2024-03-01 00:00:00.000  in the source, not in the warehouse');
    expect(formatMismatch({ table: 'dim_design', kind: 'extra', id: 9 })).toContain(
      'in the warehouse, not in the source',
    );
    expect(
      formatMismatch({
        table: 'fact_sales_order',
        kind: 'duplicate',
        id: 1,
        version: '2024-03-01 09:30:00.500',
        expected: '1',
        actual: '2',
      }),
    ).toContain('stored 2 times (expected once)');
    expect(
      formatMismatch({
        table: 'dim_date',
        kind: 'missing-date',
        id: '2024-03-04',
        column: 'fact_sales_order.agreed_delivery_date',
      }),
    ).toBe(
      'missing-date  id=2024-03-04  referenced by fact_sales_order.agreed_delivery_date, absent from dim_date',
    );
  });
});

describe('renderReconcileReport', () => {
  const failing: ReconcileResult = {
    ok: false,
    mismatches: [
      {
        table: 'dim_staff',
        kind: 'different',
        id: 1,
        column: 'last_name',
        expected: "O'Keefe",
        actual: 'OKeefe',
      },
      { table: 'dim_staff', kind: 'missing', id: 2 },
      { table: 'dim_staff', kind: 'missing', id: 3 },
      {
        table: 'dim_date',
        kind: 'bad-date',
        id: '2024-03-03',
        column: 'day_of_week',
        expected: '7',
        actual: '1',
      },
    ],
    counts: {
      dim_staff: { sourceRows: 3, warehouseRows: 1, compared: 1, mismatches: 5 },
      fact_payment: {
        sourceRows: 3,
        warehouseRows: 4,
        compared: 3,
        warehouseIds: 3,
        duplicateVersions: 0,
        mismatches: 0,
      },
      dim_date: { sourceRows: null, warehouseRows: 6, compared: 6, referencedDates: 5, mismatches: 1 },
    },
    summary: {
      totalMismatches: 6,
      byKind: { ...zeroKinds, different: 1, missing: 4, 'bad-date': 1 },
      truncated: true,
      tablesChecked: 3,
      elapsedMs: 12,
    },
  };

  it('lists the first N mismatches per table, the rest as a count, then the totals', () => {
    const text = renderReconcileReport(failing, { limit: 2 });
    expect(text.split('\n')).toEqual([
      'dim_staff     5 mismatches      (source 3, warehouse 1, compared 1)',
      '    different     id=1  last_name: expected "O\'Keefe", actual "OKeefe"',
      '    missing       id=2  in the source, not in the warehouse',
      '    … and 3 more',
      'fact_payment  ok                (source 3, warehouse 4, ids 3, compared 3)',
      'dim_date      1 mismatch        (warehouse 6, compared 6, referenced dates 5)',
      '    bad-date      id=2024-03-03  day_of_week: expected "7", actual "1"',
      '',
      'MISMATCH: 6 mismatches (missing 4, different 1, bad-date 1) in 3 tables, 12 ms',
    ]);
  });

  it('ends with OK when nothing differs', () => {
    const text = renderReconcileReport({
      ok: true,
      mismatches: [],
      counts: { dim_staff: { sourceRows: 3, warehouseRows: 3, compared: 3, mismatches: 0 } },
      summary: { totalMismatches: 0, byKind: zeroKinds, truncated: false, tablesChecked: 11, elapsedMs: 5 },
    });
    expect(text.split('\n').at(-1)).toBe('OK: the warehouse matches the source (11 tables, 5 ms)');
  });
});

describe('renderHistoryReport', () => {
  it('ends with exactly lost=L duplicated=D', () => {
    const result: HistoryResult = {
      ok: false,
      lost: 1,
      duplicated: 1,
      checked: 5,
      perTable: {
        sales_order: { checked: 2, lost: 1, duplicated: 0 },
        purchase_order: { checked: 1, lost: 0, duplicated: 0 },
        payment: { checked: 2, lost: 0, duplicated: 1 },
      },
      lostVersions: [{ table: 'sales_order', id: 1, lastUpdated: '2024-02-29 10:00:00.123' }],
      duplicatedVersions: [{ table: 'payment', id: 2, lastUpdated: '2024-02-29 23:59:59.999', copies: 2 }],
    };
    expect(renderHistoryReport(result).split('\n')).toEqual([
      'sales_order: checked 2, lost 1, duplicated 0',
      '    lost        id=1  version=2024-02-29 10:00:00.123',
      'purchase_order: checked 1, lost 0, duplicated 0',
      'payment: checked 2, lost 0, duplicated 1',
      '    duplicated  id=2  version=2024-02-29 23:59:59.999  copies=2',
      'lost=1 duplicated=1',
    ]);
  });
});
