/**
 * Issue 19 item 6b, the load's rules: a fact is held as a dependant only when a dimension row it
 * references was held back AND the warehouse does not have that row; it is released once every
 * row it needs is present.
 */
import { describe, expect, test } from '@jest/globals';
import {
  canRelease,
  dependantReason,
  FACT_REFERENCES,
  missingFor,
  missingRows,
  withheldRows,
} from '../../../services/lambdas/load/dependants.ts';
import type { HeldRow } from '../../../shared/lake/index.ts';

const held = (withholds: HeldRow['withholds']): HeldRow => ({
  table: 'staff',
  id: 1,
  lastUpdated: null,
  object: 'k',
  errorClass: 'WrongValueTypeError',
  reason: 'r',
  row: {},
  withholds,
});

describe('dependants', () => {
  test('the facts reference their dimensions by the spec (dim_date excluded)', () => {
    expect(FACT_REFERENCES.fact_sales_order).toEqual(
      expect.arrayContaining([
        { column: 'sales_staff_id', table: 'dim_staff' },
        { column: 'agreed_delivery_location_id', table: 'dim_location' },
      ]),
    );
    expect(FACT_REFERENCES.fact_payment).toContainEqual({
      column: 'transaction_id',
      table: 'dim_transaction',
    });
    for (const refs of Object.values(FACT_REFERENCES))
      expect(refs.some((r) => r.table === 'dim_date')).toBe(false);
  });

  test('withheld rows are grouped by table; the ones the warehouse has are not missing', () => {
    const withheld = withheldRows([
      held([{ table: 'dim_staff', id: 3 }]),
      held([{ table: 'dim_staff', id: 1 }]),
      held([{ table: 'dim_currency', id: 2 }]),
      held([]),
    ]);
    expect([...withheld]).toEqual([
      ['dim_staff', [1, 3]],
      ['dim_currency', [2]],
    ]);
    const missing = missingRows(withheld, new Map([['dim_staff', new Set([3])]]));
    expect([...missing]).toEqual([
      ['dim_staff', new Set([1])],
      ['dim_currency', new Set([2])],
    ]);
    expect(
      missingRows(
        withheld,
        new Map([
          ['dim_staff', new Set([1, 3])],
          ['dim_currency', new Set([2])],
        ]),
      ).size,
    ).toBe(0);
  });

  test('a fact is held when it references a missing row, with every missing row named', () => {
    const missing = new Map([
      ['dim_staff', new Set([1])],
      ['dim_currency', new Set([2])],
    ]);
    expect(
      missingFor('fact_sales_order', { sales_staff_id: 1, currency_id: 2, design_id: 1 }, missing),
    ).toEqual([
      { table: 'dim_staff', id: 1 },
      { table: 'dim_currency', id: 2 },
    ]);
    expect(missingFor('fact_sales_order', { sales_staff_id: 5, currency_id: 1 }, missing)).toEqual([]);
    // fact_purchase_order names its staff column staff_id.
    expect(missingFor('fact_purchase_order', { staff_id: 1 }, missing)).toEqual([
      { table: 'dim_staff', id: 1 },
    ]);
    expect(missingFor('fact_payment', { currency_id: 2 }, new Map())).toEqual([]);
    expect(
      dependantReason([
        { table: 'dim_staff', id: 1 },
        { table: 'dim_currency', id: 2 },
      ]),
    ).toBe('depends on held dim_staff 1, dim_currency 2');
  });

  test('released only when every row it needs is present', () => {
    const needs = [
      { table: 'dim_staff', id: 1 },
      { table: 'dim_currency', id: 2 },
    ];
    expect(canRelease(needs, new Map([['dim_staff', new Set([1])]]))).toBe(false);
    expect(
      canRelease(
        needs,
        new Map([
          ['dim_staff', new Set([1])],
          ['dim_currency', new Set([2, 3])],
        ]),
      ),
    ).toBe(true);
  });
});
