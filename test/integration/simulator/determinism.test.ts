import { sql } from 'slonik';
import { SeedRefusedError, seedSource } from '../../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../../services/tools/simulator/simulate.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { integrityViolations, tableChecksums, tableCounts } from './source-checks.ts';

describe('seedSource determinism and scaling', () => {
  const dbs: TestDatabase[] = [];
  const fresh = async (label: string) => {
    const db = await createTestDatabase(label);
    dbs.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('gives identical bytes in every table for the same seed, and different data for another seed', async () => {
    const [a, b, c] = [await fresh('det_a'), await fresh('det_b'), await fresh('det_c')];
    await seedSource(a.pool, { scale: 0.05, seed: 2024 });
    await seedSource(b.pool, { scale: 0.05, seed: 2024, chunkSize: 97 }); // chunking must not matter
    await seedSource(c.pool, { scale: 0.05, seed: 2025 });
    const [sumA, sumB, sumC] = [
      await tableChecksums(a.pool),
      await tableChecksums(b.pool),
      await tableChecksums(c.pool),
    ];
    expect(sumB).toEqual(sumA);
    // Another seed changes every generated table; the fixed reference tables stay identical.
    for (const table of [
      'address',
      'counterparty',
      'staff',
      'design',
      'sales_order',
      'purchase_order',
      'payment',
    ]) {
      expect(`${table}:${sumC[table]}`).not.toBe(`${table}:${sumA[table]}`);
    }
    expect(sumC.currency).toBe(sumA.currency);
    expect(sumC.payment_type).toBe(sumA.payment_type);
  });

  it('works at scale 0.05 with every rule holding', async () => {
    const db = await fresh('det_small');
    const result = await seedSource(db.pool, { scale: 0.05, seed: 1 });
    const counts = await tableCounts(db.pool);
    expect(counts).toEqual(result.counts);
    expect(counts.sales_order).toBe(Math.round(11_175 * 0.05));
    expect(counts.purchase_order).toBe(Math.round(4_640 * 0.05));
    expect(counts.transaction).toBe(counts.payment);
    expect(counts.staff).toBe(20);
    expect(await integrityViolations(db.pool)).toEqual({});
  });

  it('refuses a database that already holds rows, and reseeds it when asked to reset', async () => {
    const db = await fresh('det_refuse');
    await seedSource(db.pool, { scale: 0.01, seed: 3 });
    const before = await tableChecksums(db.pool);
    await expect(seedSource(db.pool, { scale: 0.01, seed: 4 })).rejects.toThrow(SeedRefusedError);
    await expect(seedSource(db.pool, { scale: 0.01, seed: 4 })).rejects.toThrow(/--reset/);
    expect(await tableChecksums(db.pool)).toEqual(before); // nothing written by the refused seed
    await seedSource(db.pool, { scale: 0.01, seed: 3, reset: true });
    expect(await tableChecksums(db.pool)).toEqual(before); // reset restarts the ids too
  });

  it('simulateEvents makes the same choices for the same seed on the same data', async () => {
    const [a, b] = [await fresh('det_sim_a'), await fresh('det_sim_b')];
    await seedSource(a.pool, { scale: 0.01, seed: 8 });
    await seedSource(b.pool, { scale: 0.01, seed: 8 });
    const [countsA, countsB] = [
      await simulateEvents(a.pool, { events: 60, seed: 4 }),
      await simulateEvents(b.pool, { events: 60, seed: 4 }),
    ];
    expect(countsB).toEqual(countsA);
    // Everything but the clock-derived columns is identical.
    const content = (db: TestDatabase) =>
      db.pool.oneFirst(sql.unsafe`
        SELECT md5(
          (SELECT string_agg(concat_ws(',', payment_id, transaction_id, counterparty_id, payment_amount, currency_id,
             payment_type_id, paid, company_ac_number, counterparty_ac_number), ';' ORDER BY payment_id) FROM payment)
          || (SELECT string_agg(concat_ws(',', sales_order_id, design_id, staff_id, units_sold, unit_price,
             agreed_delivery_location_id), ';' ORDER BY sales_order_id) FROM sales_order)
          || (SELECT string_agg(concat_ws(',', address_id, address_line_1, address_line_2, district, phone), ';'
             ORDER BY address_id) FROM address)
          || (SELECT string_agg(concat_ws(',', department_id, manager), ';' ORDER BY department_id) FROM department))`);
    expect(await content(b)).toBe(await content(a));
  });

  it('rejects a scale or seed that is not usable', async () => {
    const db = await fresh('det_bad');
    await expect(seedSource(db.pool, { scale: 0, seed: 1 })).rejects.toThrow(
      /scale must be a positive number/,
    );
    await expect(seedSource(db.pool, { scale: -1, seed: 1 })).rejects.toThrow(/scale/);
    await expect(seedSource(db.pool, { scale: 1, seed: 1.5 })).rejects.toThrow(/seed must be an integer/);
    const tables = await db.pool.oneFirst(
      sql.unsafe`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(Number(tables)).toBe(0);
  });
});
