import { dateAfter, formatTimestamp, parseTimestamp } from '../../../services/tools/simulator/dates.ts';
import { formatCents, lineAmount, parseCents } from '../../../services/tools/simulator/money.ts';
import { designRow, drawDesign, drawOrder, orderRows } from '../../../services/tools/simulator/orders.ts';
import { createRng } from '../../../services/tools/simulator/prng.ts';
import { buildReferenceData } from '../../../services/tools/simulator/reference-data.ts';
import { plannedVolumes, seedTimeline } from '../../../services/tools/simulator/seed.ts';
import { parseRate } from '../../../services/tools/simulator/simulate.ts';

describe('money', () => {
  it('parses and formats cents exactly', () => {
    expect(parseCents('2.5')).toBe(250n);
    expect(parseCents('1000.00')).toBe(100_000n);
    expect(parseCents('0.07')).toBe(7n);
    expect(formatCents(250n)).toBe('2.50');
    expect(formatCents(7n)).toBe('0.07');
    expect(formatCents(-5n)).toBe('-0.05');
    expect(() => parseCents('1.005')).toThrow(RangeError);
    expect(() => parseCents('1e3')).toThrow(RangeError);
  });

  it('multiplies quantity by price to the cent where floats would not', () => {
    // 0.29 * 3 is 0.8699999999999999 in binary floating point.
    expect(lineAmount(3, '0.29')).toBe('0.87');
    expect(lineAmount(100_000, '4.00')).toBe('400000.00');
    expect(lineAmount(999, '999.99')).toBe('998990.01');
    expect(lineAmount(12_345, '2.57')).toBe('31726.65');
    expect(() => lineAmount(1.5, '2.00')).toThrow(RangeError);
  });
});

describe('dates', () => {
  it('formats UTC timestamps with milliseconds and date offsets across month ends', () => {
    const ms = parseTimestamp('2022-11-03 14:20:49.962');
    expect(formatTimestamp(ms)).toBe('2022-11-03 14:20:49.962');
    expect(dateAfter(ms, 0)).toBe('2022-11-03');
    expect(dateAfter(parseTimestamp('2024-02-27 23:59:59.999'), 2)).toBe('2024-02-29');
    expect(dateAfter(parseTimestamp('2023-12-31 00:00:00.000'), 1)).toBe('2024-01-01');
  });
});

describe('order rows', () => {
  const refs = { address: 30, counterparty: 20, currency: 3, staff: 20, design: 5 };

  it('links a sale, its transaction and its payment', () => {
    const rng = createRng(1, 'rows');
    const draw = drawOrder(rng, 'SALE', refs);
    const rows = orderRows(draw, parseTimestamp('2023-05-01 10:00:00.123'), 17, 40);
    const sale = rows.sales_order!;
    expect(rows.purchase_order).toBeNull();
    expect(rows.transaction).toMatchObject({
      transaction_id: 40,
      transaction_type: 'SALE',
      sales_order_id: 17,
      purchase_order_id: null,
      created_at: sale.created_at,
    });
    expect(rows.payment).toMatchObject({
      payment_id: 40,
      transaction_id: 40,
      created_at: sale.created_at,
      counterparty_id: sale.counterparty_id,
      currency_id: sale.currency_id,
      payment_date: sale.agreed_payment_date,
      payment_type_id: 1,
      paid: false,
    });
    expect(parseCents(rows.payment.payment_amount)).toBe(
      BigInt(sale.units_sold) * parseCents(sale.unit_price),
    );
  });

  it('draws every field in its range', () => {
    const rng = createRng(2, 'ranges');
    for (let i = 0; i < 2_000; i++) {
      const kind = i % 2 === 0 ? 'SALE' : 'PURCHASE';
      const rows = orderRows(drawOrder(rng, kind, refs), parseTimestamp('2024-01-31 23:59:59.999'), 1, 1);
      const order = rows.sales_order ?? rows.purchase_order!;
      expect(order.agreed_delivery_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(order.agreed_delivery_date >= '2024-01-31' && order.agreed_delivery_date <= '2024-03-13').toBe(
        true,
      );
      expect(order.agreed_payment_date >= '2024-01-31' && order.agreed_payment_date <= '2024-02-06').toBe(
        true,
      );
      expect(rows.payment.company_ac_number).toBeGreaterThanOrEqual(10_000_000);
      expect(rows.payment.counterparty_ac_number).toBeLessThanOrEqual(99_999_999);
      if (rows.sales_order) {
        const s = rows.sales_order;
        expect(s.units_sold >= 1_000 && s.units_sold <= 100_000).toBe(true);
        expect(parseCents(s.unit_price) >= 200n && parseCents(s.unit_price) <= 400n).toBe(true);
        expect(s.design_id >= 1 && s.design_id <= 5).toBe(true);
      } else {
        const p = rows.purchase_order!;
        expect(p.item_code).toMatch(/^[A-Z0-9]{7}$/);
        expect(p.item_quantity >= 1 && p.item_quantity <= 999).toBe(true);
        expect(parseCents(p.item_unit_price) >= 300n && parseCents(p.item_unit_price) <= 100_000n).toBe(true);
        expect(rows.payment.payment_type_id).toBe(3);
      }
    }
  });

  it('names design files after the design and its day', () => {
    const row = designRow(drawDesign(createRng(3, 'design')), parseTimestamp('2023-07-04 08:00:00.000'), 9);
    expect(row.file_name).toMatch(
      new RegExp(`^${row.design_name.toLowerCase()}-20230704-[a-z0-9]{4}\\.json$`),
    );
  });
});

describe('reference data', () => {
  it('is the same for the same seed and has the fixed values', () => {
    const a = buildReferenceData(createRng(9, 'reference'), '2022-11-03 14:20:49.962');
    const b = buildReferenceData(createRng(9, 'reference'), '2022-11-03 14:20:49.962');
    expect(a).toEqual(b);
    expect(a.department[3]).toMatchObject({ department_name: 'Dispatch', location: 'Leds' });
    expect(a.staff.filter((s) => s.last_name === "O'Keefe")).toHaveLength(1);
    expect(a.address.filter((x) => x.address_line_2 === null)).toHaveLength(20);
    expect(a.address.filter((x) => x.district === null)).toHaveLength(15);
    expect(a.address.some((x) => x.postal_code.startsWith('0'))).toBe(true);
  });
});

describe('volumes, timeline and rate', () => {
  it('scales only the time-dependent tables', () => {
    expect(plannedVolumes(1)).toMatchObject({
      sales_order: 11_175,
      purchase_order: 4_640,
      payment: 15_815,
      design: 472,
    });
    expect(plannedVolumes(10)).toMatchObject({ sales_order: 111_750, staff: 20, address: 30 });
    expect(plannedVolumes(0.0001)).toMatchObject({ sales_order: 1, purchase_order: 1, design: 1 });
  });

  it('ends the timeline at a date derived from the seed, not the clock', () => {
    expect(seedTimeline(5)).toEqual(seedTimeline(5));
    const end = formatTimestamp(seedTimeline(5).endMs);
    expect(end >= '2024-11-14' && end < '2024-11-21').toBe(true);
  });

  it('parses rates', () => {
    expect(parseRate('2')).toBe(2);
    expect(parseRate('2/s')).toBe(2);
    expect(parseRate('0.5/s')).toBe(0.5);
    expect(parseRate('120/min')).toBe(2);
    expect(() => parseRate('0')).toThrow(/invalid rate/);
    expect(() => parseRate('fast')).toThrow(/invalid rate/);
  });
});

describe('timestamp formatting', () => {
  it('agrees with Date#toISOString on many instants', () => {
    const rng = createRng(12, 'instants');
    for (let i = 0; i < 5_000; i++) {
      const ms = rng.int(Date.UTC(2020, 0, 1), Date.UTC(2030, 0, 1));
      expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString().replace('T', ' ').slice(0, 23));
    }
    expect(formatTimestamp(Date.UTC(2024, 1, 29, 0, 0, 0, 5))).toBe('2024-02-29 00:00:00.005');
    expect(formatTimestamp(Date.UTC(2024, 11, 31, 23, 59, 59, 999))).toBe('2024-12-31 23:59:59.999');
  });
});
