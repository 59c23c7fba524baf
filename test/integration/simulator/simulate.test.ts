import { sql } from 'slonik';
import { seedSource } from '../../../services/tools/simulator/seed.ts';
import {
  SourceNotSeededError,
  simulate,
  simulateEvents,
} from '../../../services/tools/simulator/simulate.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { integrityViolations, tableCounts } from './source-checks.ts';

const UPDATED_TABLES = ['sales_order', 'purchase_order', 'payment', 'address', 'department'] as const;

describe('simulate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('simulate');
    await seedSource(db.pool, { scale: 0.02, seed: 11 });
  });
  afterAll(async () => db.drop());

  const maxLastUpdated = async () => {
    const out: Record<string, string> = {};
    for (const table of UPDATED_TABLES) {
      out[table] = String(
        await db.pool.oneFirst(sql.unsafe`SELECT max(last_updated)::text FROM ${sql.identifier([table])}`),
      );
    }
    return out;
  };
  const dbClock = async () =>
    String(
      await db.pool.oneFirst(
        sql.unsafe`SELECT date_trunc('milliseconds', clock_timestamp() AT TIME ZONE 'UTC')::text`,
      ),
    );

  it('adds orders with their transactions and payments, updates rows, and keeps every rule', async () => {
    const before = await tableCounts(db.pool);
    const lastBefore = await maxLastUpdated();
    const clockBefore = await dbClock();
    const counts = await simulateEvents(db.pool, { events: 400, seed: 5 });
    const clockAfter = await dbClock();
    const after = await tableCounts(db.pool);

    expect(counts.events).toBe(400);
    expect(Object.values(counts.byEvent).reduce((a, b) => a + b, 0)).toBe(400);
    // Every kind of event happened at least once in 400 draws with this seed.
    for (const [kind, n] of Object.entries(counts.byEvent)) expect(`${kind}:${n > 0}`).toBe(`${kind}:true`);
    expect(after.sales_order - before.sales_order).toBe(counts.inserted.sales_order);
    expect(after.purchase_order - before.purchase_order).toBe(counts.inserted.purchase_order);
    expect(after.design - before.design).toBe(counts.inserted.design);
    expect(after.transaction - before.transaction).toBe(
      counts.inserted.sales_order + counts.inserted.purchase_order,
    );
    expect(after.payment - before.payment).toBe(counts.inserted.payment);
    expect(after.address).toBe(30);
    expect(counts.updated.address).toBeGreaterThan(0);
    expect(counts.updated.department).toBeGreaterThan(0);
    expect(counts.updated.payment).toBeGreaterThan(0);

    // last_updated moved forward in every table, to the database clock (ms precision).
    const lastAfter = await maxLastUpdated();
    for (const table of UPDATED_TABLES) {
      expect(`${table}: ${lastAfter[table]! > lastBefore[table]!}`).toBe(`${table}: true`);
      expect(lastAfter[table]! >= clockBefore).toBe(true);
      expect(lastAfter[table]! <= clockAfter).toBe(true);
    }
    // New rows take created_at = last_updated from the database clock.
    const fresh = await db.pool.one(sql.unsafe`
      SELECT count(*) AS n, count(*) FILTER (WHERE created_at <> last_updated AND last_updated <= created_at) AS bad
      FROM sales_order WHERE created_at BETWEEN ${clockBefore}::timestamp AND ${clockAfter}::timestamp`);
    expect(fresh).toEqual({ n: counts.inserted.sales_order, bad: 0 });
    const precision = await db.pool.oneFirst(sql.unsafe`
      SELECT count(*) FROM payment WHERE last_updated <> date_trunc('milliseconds', last_updated)`);
    expect(Number(precision)).toBe(0);

    // payment_id comes from the transaction; payment's own sequence is kept level with it.
    const sequence = await db.pool.one(sql.unsafe`
      SELECT pg_sequence_last_value(pg_get_serial_sequence('payment', 'payment_id')::regclass) AS last,
             (SELECT max(payment_id) FROM payment) AS max`);
    expect((sequence as { last: number }).last).toBe((sequence as { max: number }).max);
    expect(await integrityViolations(db.pool)).toEqual({});
  });

  it('updates keep the payment in step with its order', async () => {
    // Force the pairs to diverge by hand, then prove the checks see it (they can fail).
    const [one] = await db.pool.anyFirst(
      sql.unsafe`SELECT payment_id FROM payment ORDER BY payment_id LIMIT 1`,
    );
    await db.pool.query(
      sql.unsafe`UPDATE payment SET payment_amount = payment_amount + 0.01 WHERE payment_id = ${Number(one)}`,
    );
    expect(Object.keys(await integrityViolations(db.pool))).toEqual([
      expect.stringMatching(/^(sale|purchase) payments: amount/),
    ]);
    await db.pool.query(
      sql.unsafe`UPDATE payment SET payment_amount = payment_amount - 0.01 WHERE payment_id = ${Number(one)}`,
    );
    expect(await integrityViolations(db.pool)).toEqual({});
  });

  it('runs at a rate for a duration and stops on abort', async () => {
    const timed = await simulate(db.pool, { ratePerSecond: 20, durationSeconds: 0.5, seed: 9 });
    expect(timed.events).toBe(10);
    const controller = new AbortController();
    controller.abort();
    const aborted = await simulate(db.pool, { ratePerSecond: 5, seed: 9, signal: controller.signal });
    expect(aborted.events).toBe(0);
    expect(await integrityViolations(db.pool)).toEqual({});
  });

  it('refuses a source that was never seeded', async () => {
    const empty = await createTestDatabase('simulate_empty');
    try {
      await expect(simulateEvents(empty.pool, { events: 1, seed: 1 })).rejects.toThrow(
        /relation .* does not exist|totes seed/,
      );
      await seedSource(empty.pool, { scale: 0.01, seed: 1 });
      await empty.pool.query(
        sql.unsafe`TRUNCATE address, counterparty, currency, department, staff, design, payment_type, sales_order, purchase_order, "transaction", payment`,
      );
      await expect(simulateEvents(empty.pool, { events: 1, seed: 1 })).rejects.toThrow(SourceNotSeededError);
    } finally {
      await empty.drop();
    }
  });
});
