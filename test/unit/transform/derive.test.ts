import { describe, expect, test } from '@jest/globals';
import { currencyName, dimDateRow, UnitTransformer } from '../../../services/lambdas/transform/derive.ts';
import {
  MissingJoinPartnerError,
  UnknownCurrencyError,
  WrongValueTypeError,
} from '../../../services/lambdas/transform/errors.ts';
import { dateToDays, timeToMillis } from '../../../shared/schema/value-kinds.ts';
import { part, T0 } from './fixtures.ts';

// Fact rows carry dates and times as the numbers Parquet stores (rows.ts).
const day = (date: string) => dateToDays(date)!;
const ms = (time: string) => timeToMillis(time)!;
const dims = (t: UnitTransformer) => Object.fromEntries(t.dimensionOutputs().map((d) => [d.table, d.rows]));

describe('dim_location', () => {
  test('address renamed, timestamps dropped, nulls kept, leading zeros kept, source_version = last_updated', () => {
    const t = new UnitTransformer();
    t.addTable(
      part('address', [
        { address_id: 1, postal_code: '01234', address_line_2: null, district: null },
        {
          address_id: 2,
          address_line_2: 'Flat 2',
          district: 'Avon',
          postal_code: '99305-7380',
          last_updated: '2023-01-01 00:00:00.000',
        },
      ]),
    );
    expect(dims(t).dim_location).toEqual([
      [1, '6826 Herzog Via', null, null, 'New Patienceburgh', '01234', 'Turkey', '1803 637401', T0],
      [
        2,
        '6826 Herzog Via',
        'Flat 2',
        'Avon',
        'New Patienceburgh',
        '99305-7380',
        'Turkey',
        '1803 637401',
        '2023-01-01 00:00:00.000',
      ],
    ]);
  });
});

describe('dim_counterparty', () => {
  test('counterparty joined to its legal address with prefixed columns; contacts dropped', () => {
    const t = new UnitTransformer();
    t.addTable(
      part('counterparty', [
        { counterparty_id: 7, counterparty_legal_name: "Leannon, Predovic and O'Morar", legal_address_id: 3 },
      ]),
    );
    t.addTable(
      part('address', [
        {
          address_id: 3,
          district: null,
          address_line_2: 'Suite 1',
          postal_code: '00501',
          phone: '0117 496 0123',
        },
      ]),
    );
    expect(dims(t).dim_counterparty).toEqual([
      [
        7,
        "Leannon, Predovic and O'Morar",
        '6826 Herzog Via',
        'Suite 1',
        null,
        'New Patienceburgh',
        '00501',
        'Turkey',
        '0117 496 0123',
        T0,
      ],
    ]);
  });

  test('an address change refreshes dim_location and both counterparties built on it', () => {
    const changed = '2024-06-01 09:00:00.123';
    const t = new UnitTransformer();
    t.addTable(
      part('address', [
        { address_id: 5, address_line_1: '1 New Street', city: 'Leeds', last_updated: changed },
      ]),
    );
    t.addTable(
      part('counterparty', [
        { counterparty_id: 1, counterparty_legal_name: 'Grant - Lakin', legal_address_id: 5 },
        { counterparty_id: 2, counterparty_legal_name: 'Armstrong Inc', legal_address_id: 5 },
      ]),
    );
    const out = dims(t);
    expect(out.dim_location).toEqual([
      [5, '1 New Street', null, null, 'Leeds', '28441', 'Turkey', '1803 637401', changed],
    ]);
    expect(out.dim_counterparty).toEqual([
      [1, 'Grant - Lakin', '1 New Street', null, null, 'Leeds', '28441', 'Turkey', '1803 637401', changed],
      [2, 'Armstrong Inc', '1 New Street', null, null, 'Leeds', '28441', 'Turkey', '1803 637401', changed],
    ]);
  });

  test('source_version is the later of counterparty and address', () => {
    const t = new UnitTransformer();
    t.addTable(part('address', [{ address_id: 1 }]));
    t.addTable(part('counterparty', [{ counterparty_id: 1, last_updated: '2025-05-05 05:05:05.005' }]));
    expect(dims(t).dim_counterparty![0]!.at(-1)).toBe('2025-05-05 05:05:05.005');
  });

  test('a counterparty whose address is not in the unit fails with MissingJoinPartnerError', () => {
    const t = new UnitTransformer();
    t.addTable(part('counterparty', [{ counterparty_id: 1, legal_address_id: 9 }]));
    expect(() => t.dimensionOutputs()).toThrow(MissingJoinPartnerError);
    expect(() => t.dimensionOutputs()).toThrow(/counterparty 1 references legal address 9/);
  });
});

describe('dim_staff', () => {
  test("staff joined to department (O'Keefe survives); a department change refreshes its staff", () => {
    const changed = '2024-02-29 23:59:59.999';
    const t = new UnitTransformer();
    t.addTable(
      part('department', [
        { department_id: 4, department_name: 'Dispatch', location: 'Leds', last_updated: changed },
      ]),
    );
    t.addTable(
      part('staff', [
        {
          staff_id: 3,
          first_name: 'Rhiannon',
          last_name: "O'Keefe",
          department_id: 4,
          email_address: "rhiannon.o'keefe@terrifictotes.com",
        },
        {
          staff_id: 4,
          first_name: 'Ana',
          last_name: 'Glover',
          department_id: 4,
          email_address: 'ana.glover@terrifictotes.com',
        },
      ]),
    );
    expect(dims(t).dim_staff).toEqual([
      [3, 'Rhiannon', "O'Keefe", 'Dispatch', 'Leds', "rhiannon.o'keefe@terrifictotes.com", changed],
      [4, 'Ana', 'Glover', 'Dispatch', 'Leds', 'ana.glover@terrifictotes.com', changed],
    ]);
  });

  test('missing department fails; a department without location fails (dim_staff.location is NOT NULL)', () => {
    const t = new UnitTransformer();
    t.addTable(part('staff', [{ staff_id: 1, department_id: 2 }]));
    expect(() => t.dimensionOutputs()).toThrow(MissingJoinPartnerError);
    const u = new UnitTransformer();
    u.addTable(part('department', [{ department_id: 2, location: null }]));
    u.addTable(part('staff', [{ staff_id: 1, department_id: 2 }]));
    expect(() => u.dimensionOutputs()).toThrow(WrongValueTypeError);
  });
});

describe('dim_currency', () => {
  test('names from CLDR: GBP British Pound, USD US Dollar, EUR Euro', () => {
    const t = new UnitTransformer();
    t.addTable(
      part('currency', [
        { currency_id: 1, currency_code: 'GBP' },
        { currency_id: 2, currency_code: 'USD' },
        { currency_id: 3, currency_code: 'EUR' },
      ]),
    );
    expect(dims(t).dim_currency).toEqual([
      [1, 'GBP', 'British Pound', T0],
      [2, 'USD', 'US Dollar', T0],
      [3, 'EUR', 'Euro', T0],
    ]);
  });

  test('a code CLDR cannot name fails loudly', () => {
    expect(() => currencyName('XYZ')).toThrow(UnknownCurrencyError);
    expect(() => currencyName('GB')).toThrow(UnknownCurrencyError);
    const t = new UnitTransformer();
    expect(() => t.addTable(part('currency', [{ currency_id: 9, currency_code: 'XYZ' }]))).toThrow(
      /currency 9: currency code "XYZ" has no English name/,
    );
  });
});

describe('dim_design, dim_payment_type, dim_transaction', () => {
  test('the source table without timestamps; nulls stay null', () => {
    const t = new UnitTransformer();
    t.addTable(
      part('design', [
        {
          design_id: 8,
          design_name: 'Granite',
          file_location: '/private',
          file_name: 'granite-20221103-q1w2.json',
        },
      ]),
    );
    t.addTable(part('payment_type', [{ payment_type_id: 3, payment_type_name: 'PURCHASE_PAYMENT' }]));
    t.addTable(
      part('transaction', [
        { transaction_id: 1, transaction_type: 'SALE', sales_order_id: 1, purchase_order_id: null },
        { transaction_id: 2, transaction_type: 'PURCHASE', sales_order_id: null, purchase_order_id: 1 },
      ]),
    );
    const out = dims(t);
    expect(out.dim_design).toEqual([[8, 'Granite', '/private', 'granite-20221103-q1w2.json', T0]]);
    expect(out.dim_payment_type).toEqual([[3, 'PURCHASE_PAYMENT', T0]]);
    expect(out.dim_transaction).toEqual([
      [1, 'SALE', 1, null, T0],
      [2, 'PURCHASE', null, 1, T0],
    ]);
  });

  test('within a unit the newest version of a dimension row wins, whatever the part order', () => {
    const t = new UnitTransformer();
    t.addTable(
      part('design', [{ design_id: 1, design_name: 'Newer', last_updated: '2024-01-02 00:00:00.000' }], 2),
    );
    t.addTable(
      part('design', [{ design_id: 1, design_name: 'Older', last_updated: '2024-01-01 00:00:00.000' }], 1),
    );
    expect(dims(t).dim_design).toEqual([
      [1, 'Newer', '/usr', 'wooden-20220717-npgz.json', '2024-01-02 00:00:00.000'],
    ]);
  });
});

describe('dim_date', () => {
  test('ISO day_of_week, unpadded English names, quarter', () => {
    expect(dimDateRow('2024-03-31')).toEqual(['2024-03-31', 2024, 3, 31, 7, 'Sunday', 'March', 1]);
    expect(dimDateRow('2024-04-01')).toEqual(['2024-04-01', 2024, 4, 1, 1, 'Monday', 'April', 2]);
    expect(dimDateRow('2023-12-31')).toEqual(['2023-12-31', 2023, 12, 31, 7, 'Sunday', 'December', 4]);
    expect(dimDateRow('2024-01-01')).toEqual(['2024-01-01', 2024, 1, 1, 1, 'Monday', 'January', 1]);
    expect(dimDateRow('2024-02-29')).toEqual(['2024-02-29', 2024, 2, 29, 4, 'Thursday', 'February', 1]);
    expect(dimDateRow('2022-11-05')).toEqual(['2022-11-05', 2022, 11, 5, 6, 'Saturday', 'November', 4]);
  });

  test('covers every date a fact row references (created, last_updated, agreed, payment) and only those', () => {
    const t = new UnitTransformer();
    t.addTable(
      part('sales_order', [
        {
          sales_order_id: 1,
          created_at: '2023-12-31 23:59:59.999',
          last_updated: '2024-01-01 00:00:00.000',
          agreed_delivery_date: '2024-02-29',
          agreed_payment_date: '2024-03-31',
        },
      ]),
    );
    t.addTable(
      part('purchase_order', [
        {
          purchase_order_id: 1,
          created_at: T0,
          last_updated: T0,
          agreed_delivery_date: '2024-04-01',
          agreed_payment_date: '2022-11-07',
        },
      ]),
    );
    t.addTable(part('payment', [{ payment_id: 1, payment_date: '2022-11-08' }]));
    t.addTable(part('address', [{ address_id: 1, last_updated: '2030-01-01 00:00:00.000' }]));
    expect(dims(t).dim_date!.map((r) => r[0])).toEqual([
      '2022-11-03',
      '2022-11-07',
      '2022-11-08',
      '2023-12-31',
      '2024-01-01',
      '2024-02-29',
      '2024-03-31',
      '2024-04-01',
    ]);
  });
});

describe('facts', () => {
  test('fact_sales_order: timestamps split with milliseconds (as days and ms), staff_id → sales_staff_id, dates typed, money as text', () => {
    const t = new UnitTransformer();
    const out = t.addTable(
      part('sales_order', [
        {
          sales_order_id: 2,
          created_at: '2024-02-29 10:11:12.013',
          last_updated: '2024-03-01 00:00:00.001',
          design_id: 3,
          staff_id: 4,
          counterparty_id: 5,
          units_sold: 100000,
          unit_price: '0.29',
          currency_id: 2,
          agreed_delivery_date: '2024-03-07',
          agreed_payment_date: '2024-03-02',
          agreed_delivery_location_id: 6,
        },
      ]),
    );
    expect(out).toEqual({
      table: 'fact_sales_order',
      duplicates: 0,
      rows: [
        [
          2,
          day('2024-02-29'),
          ms('10:11:12.013'),
          day('2024-03-01'),
          ms('00:00:00.001'),
          4,
          5,
          100000,
          '0.29',
          2,
          3,
          day('2024-03-02'),
          day('2024-03-07'),
          6,
        ],
      ],
    });
    expect(t.newestSourceUpdate).toBe('2024-03-01 00:00:00.001');
  });

  test('fact_purchase_order keeps unbounded money exactly; fact_payment drops the account numbers', () => {
    const t = new UnitTransformer();
    expect(
      t.addTable(
        part('purchase_order', [{ purchase_order_id: 1, item_unit_price: '12.345', item_code: 'A1B2C3D' }]),
      )?.rows,
    ).toEqual([
      [
        1,
        day('2022-11-03'),
        ms('14:20:49.962'),
        day('2022-11-03'),
        ms('14:20:49.962'),
        1,
        1,
        'A1B2C3D',
        371,
        '12.345',
        1,
        day('2022-11-09'),
        day('2022-11-07'),
        1,
      ],
    ]);
    expect(
      t.addTable(part('payment', [{ payment_id: 9, payment_amount: '123456789.01', paid: true }]))?.rows,
    ).toEqual([
      [
        9,
        day('2022-11-03'),
        ms('14:20:49.962'),
        day('2022-11-03'),
        ms('14:20:49.962'),
        1,
        1,
        '123456789.01',
        1,
        1,
        true,
        day('2022-11-05'),
      ],
    ]);
  });

  test('the same fact version twice in a unit is emitted once; a new version is a new row', () => {
    const t = new UnitTransformer();
    expect(t.addTable(part('payment', [{ payment_id: 1 }], 1))?.rows).toHaveLength(1);
    const again = t.addTable(
      part(
        'payment',
        [{ payment_id: 1 }, { payment_id: 1, last_updated: '2023-01-01 00:00:00.000', paid: true }],
        2,
      ),
    );
    expect(again?.duplicates).toBe(1);
    expect(again?.rows).toHaveLength(1);
  });

  test('a refused fact version met twice is held once; the newest source update counts it', () => {
    const held: [string, unknown, string][] = [];
    const t = new UnitTransformer((table, row, _key, error) => held.push([table, row[0], error.message]));
    const bad = { payment_id: 7, payment_date: '2022-02-30', last_updated: '2023-05-01 10:00:00.000' };
    expect(t.addTable(part('payment', [bad, { payment_id: 8 }], 1))?.rows).toHaveLength(1);
    const again = t.addTable(part('payment', [bad, { payment_id: 7 }], 2));
    expect(again?.duplicates).toBe(1);
    expect(again?.rows).toHaveLength(1);
    expect(held).toEqual([['payment', 7, expect.stringMatching(/payment 7 \(row 0\): payment_date/)]]);
    expect(t.newestSourceUpdate).toBe('2023-05-01 10:00:00.000');
  });

  test('bad dates and unit_price beyond numeric(10,2) fail with WrongValueTypeError', () => {
    const t = new UnitTransformer();
    expect(() =>
      t.addTable(part('sales_order', [{ sales_order_id: 1, agreed_delivery_date: '2023-02-29' }])),
    ).toThrow(/sales_order 1 \(row 0\): agreed_delivery_date: "2023-02-29" is not a calendar date/);
    expect(() => t.addTable(part('payment', [{ payment_id: 1, payment_date: '05/11/2022' }]))).toThrow(
      WrongValueTypeError,
    );
    expect(() => t.addTable(part('sales_order', [{ sales_order_id: 2, unit_price: '12.345' }]))).toThrow(
      /unit_price: 12.345 does not fit numeric\(10,2\)/,
    );
    expect(() =>
      t.addTable(part('sales_order', [{ sales_order_id: 3, unit_price: '123456789.01' }])),
    ).toThrow(WrongValueTypeError);
    // A timestamp outside the day ('24:00:00.000') is refused where it is read, by validation
    // (validate.test.ts); derivation cuts a validated timestamp's date and time out as they are.
  });
});
