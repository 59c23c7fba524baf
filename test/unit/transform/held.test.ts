/**
 * Issue 19 item 6b, the transform's rules: which rows are held (row-level failures, each row alone)
 * and what a held row records; unit-level failures and a flood of held rows still fail the unit.
 */
import { describe, expect, test } from '@jest/globals';
import { UnitTransformer } from '../../../services/lambdas/transform/derive.ts';
import {
  BadTableObjectError,
  MissingJoinPartnerError,
  UnknownCurrencyError,
  WrongValueTypeError,
} from '../../../services/lambdas/transform/errors.ts';
import {
  HeldRows,
  heldRow,
  isRowLevel,
  namedRow,
  TooManyHeldRowsError,
} from '../../../services/lambdas/transform/held.ts';
import { validateTableObject } from '../../../services/lambdas/transform/validate.ts';
import { INGESTION_TABLE_FORMAT } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { part, row } from './fixtures.ts';

/** A transformer that collects what it holds, by table and id. */
function holding() {
  const held: { table: SourceTableName; id: unknown; error: Error }[] = [];
  const t = new UnitTransformer((table, r, _part, error) => held.push({ table, id: r[0], error }));
  return { t, held };
}

describe('row-level failures hold one row; the rest of the unit is carried', () => {
  test('only value, join-partner and currency failures are row-level', () => {
    expect(isRowLevel(new WrongValueTypeError('x'))).toBe(true);
    expect(isRowLevel(new MissingJoinPartnerError('x'))).toBe(true);
    expect(isRowLevel(new UnknownCurrencyError('x'))).toBe(true);
    expect(isRowLevel(new BadTableObjectError('x'))).toBe(false);
    expect(isRowLevel(new Error('a bug'))).toBe(false);
  });

  test('staff without a department location and with a missing department are held, the others carried', () => {
    const { t, held } = holding();
    t.addTable(
      part('department', [
        { department_id: 1, location: 'Leeds' },
        { department_id: 2, location: null },
      ]),
    );
    t.addTable(
      part('staff', [
        { staff_id: 1, department_id: 1 },
        { staff_id: 2, department_id: 2 },
        { staff_id: 3, department_id: 9 },
      ]),
    );
    const staff = t.dimensionOutputs().find((d) => d.table === 'dim_staff')!.rows;
    expect(staff.map((r) => r[0])).toEqual([1]);
    expect(held.map((h) => [h.table, h.id, h.error.name])).toEqual([
      ['staff', 2, 'WrongValueTypeError'],
      ['staff', 3, 'MissingJoinPartnerError'],
    ]);
  });

  test('a staff row whose department was held says it depends on it', () => {
    const { t, held } = holding();
    t.noteHeld('department', 5);
    t.addTable(part('staff', [{ staff_id: 7, department_id: 5 }]));
    t.dimensionOutputs();
    expect(held[0]?.error.message).toMatch(/staff 7 depends on held department 5$/);
  });

  test('a currency without a name and a sales order with a date that is not a date are held alone', () => {
    const { t, held } = holding();
    t.addTable(
      part('currency', [
        { currency_id: 1, currency_code: 'GBP' },
        { currency_id: 2, currency_code: 'ZZZ' },
      ]),
    );
    const facts = t.addTable(
      part('sales_order', [
        { sales_order_id: 1 },
        { sales_order_id: 2, agreed_payment_date: '2022-02-30' },
        { sales_order_id: 3 },
      ]),
    );
    expect(facts?.rows.map((r) => r[0])).toEqual([1, 3]);
    expect(
      t
        .dimensionOutputs()
        .find((d) => d.table === 'dim_currency')!
        .rows.map((r) => r[0]),
    ).toEqual([1]);
    expect(held.map((h) => [h.table, h.id, h.error.name])).toEqual([
      ['currency', 2, 'UnknownCurrencyError'],
      ['sales_order', 2, 'WrongValueTypeError'],
    ]);
  });

  test('without a holder every failure still fails the unit (as before)', () => {
    const t = new UnitTransformer();
    expect(() =>
      t.addTable(part('sales_order', [{ sales_order_id: 2, agreed_payment_date: 'soon' }])),
    ).toThrow(WrongValueTypeError);
  });
});

describe('validation holds a row with a value its column does not allow', () => {
  const table = 'staff' as const;
  const entry = { table, key: 'units/2022/11/03/x/staff.0001.json', part: 1, rows: 2 };
  const object = (rows: unknown[][]) => ({
    format: INGESTION_TABLE_FORMAT,
    runId: 'x',
    table,
    part: 1,
    columns: SOURCE_TABLES[table].columns.map(({ name, type }) => ({ name, type })),
    rows,
  });
  const good = row('staff', { staff_id: 1 });
  const bad = [2, 'A', 'B', 'not a number', 'a@b', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'];

  test('the row is handed over whole, by column name; the others are returned', () => {
    const seen: [Record<string, unknown>, string][] = [];
    const out = validateTableObject(object([good, bad]), entry, 'x', (r, e) => seen.push([r, e.name]));
    expect(out.rows).toEqual([good]);
    expect(seen).toEqual([
      [
        {
          staff_id: 2,
          first_name: 'A',
          last_name: 'B',
          department_id: 'not a number',
          email_address: 'a@b',
          created_at: '2022-11-03 14:20:49.962',
          last_updated: '2022-11-03 14:20:49.962',
        },
        'WrongValueTypeError',
      ],
    ]);
  });

  test('without a holder it fails the object; a malformed row array fails it either way', () => {
    expect(() => validateTableObject(object([good, bad]), entry, 'x')).toThrow(WrongValueTypeError);
    expect(() => validateTableObject(object([good, [1, 2]]), entry, 'x', () => {})).toThrow(
      /row 1 is not an array/,
    );
  });
});

describe('a held row', () => {
  test('records the whole row, its id, version, reason and the dimension row it withholds', () => {
    const staff = namedRow('staff', row('staff', { staff_id: 4 }));
    expect(heldRow('staff', 'k', staff, new WrongValueTypeError('why'))).toEqual({
      table: 'staff',
      id: 4,
      lastUpdated: '2022-11-03 14:20:49.962',
      object: 'k',
      errorClass: 'WrongValueTypeError',
      reason: 'why',
      row: staff,
      withholds: [{ table: 'dim_staff', id: 4 }],
    });
    const order = namedRow('sales_order', row('sales_order', { sales_order_id: 4 }));
    expect(heldRow('sales_order', 'k', order, new Error('e')).withholds).toEqual([]);
    expect(heldRow('address', 'k', { address_id: 'x' }, new Error('e'))).toMatchObject({
      id: null,
      lastUpdated: null,
      withholds: [],
    });
  });

  test('more held rows than the bound fail the unit whole, naming the row over it', () => {
    const held = new HeldRows(2);
    const entry = heldRow('sales_order', 'k', { sales_order_id: 1 }, new Error('e'));
    held.add(entry, new Error('e'));
    held.add(entry, new Error('e'));
    expect(() => held.add(entry, new WrongValueTypeError('third'))).toThrow(TooManyHeldRowsError);
    expect(() => held.add(entry, new WrongValueTypeError('third'))).toThrow(
      /Row 3: WrongValueTypeError: third/,
    );
  });
});
