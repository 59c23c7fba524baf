import { type QuerySqlToken, sql } from 'slonik';
import { seedSource } from '../../../services/tools/simulator/seed.ts';
import { SOURCE_TABLES } from '../../../shared/schema/totesys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { integrityViolations, tableCounts } from './source-checks.ts';

describe('seedSource at scale 1 (the real volumes)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('seed_scale1');
    await seedSource(db.pool, { scale: 1, seed: 7 });
  });
  afterAll(async () => db.drop());
  const row = async (query: QuerySqlToken) => (await db.pool.one(query)) as Record<string, number | string>;

  it('has the static tables exactly and the time-dependent ones within 10% of the real volumes', async () => {
    const counts = await tableCounts(db.pool);
    expect({
      address: counts.address,
      counterparty: counts.counterparty,
      currency: counts.currency,
      department: counts.department,
      staff: counts.staff,
      payment_type: counts.payment_type,
    }).toEqual({ address: 30, counterparty: 20, currency: 3, department: 8, staff: 20, payment_type: 4 });
    const near = (actual: number | undefined, real: number) => {
      expect(actual).toBeGreaterThanOrEqual(real * 0.9);
      expect(actual).toBeLessThanOrEqual(real * 1.1);
    };
    near(counts.sales_order, 11_175);
    near(counts.purchase_order, 4_640);
    near(counts.transaction, 15_815);
    near(counts.payment, 15_815);
    near(counts.design, 472);
  });

  it('keeps every link rule of spec §1.1', async () => {
    expect(await integrityViolations(db.pool)).toEqual({});
  });

  it('has no orphan references', async () => {
    // The foreign keys are declared, but check them by data too (the seed re-creates them).
    const orphans = await db.pool.oneFirst(sql.unsafe`
      SELECT (SELECT count(*) FROM sales_order s WHERE NOT EXISTS (SELECT 1 FROM design d WHERE d.design_id = s.design_id)
                 OR NOT EXISTS (SELECT 1 FROM staff x WHERE x.staff_id = s.staff_id)
                 OR NOT EXISTS (SELECT 1 FROM counterparty c WHERE c.counterparty_id = s.counterparty_id)
                 OR NOT EXISTS (SELECT 1 FROM address a WHERE a.address_id = s.agreed_delivery_location_id)
                 OR NOT EXISTS (SELECT 1 FROM currency c WHERE c.currency_id = s.currency_id))
           + (SELECT count(*) FROM purchase_order p WHERE NOT EXISTS (SELECT 1 FROM staff x WHERE x.staff_id = p.staff_id)
                 OR NOT EXISTS (SELECT 1 FROM address a WHERE a.address_id = p.agreed_delivery_location_id))
           + (SELECT count(*) FROM payment p WHERE NOT EXISTS (SELECT 1 FROM "transaction" t WHERE t.transaction_id = p.transaction_id)
                 OR NOT EXISTS (SELECT 1 FROM payment_type y WHERE y.payment_type_id = p.payment_type_id))
           + (SELECT count(*) FROM counterparty c WHERE NOT EXISTS (SELECT 1 FROM address a WHERE a.address_id = c.legal_address_id))
           + (SELECT count(*) FROM staff s WHERE NOT EXISTS (SELECT 1 FROM department d WHERE d.department_id = s.department_id))`);
    expect(Number(orphans)).toBe(0);
    const foreignKeys = await db.pool.oneFirst(
      sql.unsafe`SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`,
    );
    const declared = Object.values(SOURCE_TABLES).flatMap((t) => t.columns.filter((c) => c.references));
    expect(Number(foreignKeys)).toBe(declared.length);
  });

  it('has the fixed reference values', async () => {
    expect(await db.pool.any(sql.unsafe`SELECT currency_id, currency_code FROM currency ORDER BY 1`)).toEqual(
      [
        { currency_id: 1, currency_code: 'GBP' },
        { currency_id: 2, currency_code: 'USD' },
        { currency_id: 3, currency_code: 'EUR' },
      ],
    );
    expect(
      await db.pool.anyFirst(sql.unsafe`SELECT payment_type_name FROM payment_type ORDER BY payment_type_id`),
    ).toEqual(['SALES_RECEIPT', 'SALES_REFUND', 'PURCHASE_PAYMENT', 'PURCHASE_REFUND']);
    expect(
      await db.pool.any(sql.unsafe`SELECT department_name, location FROM department ORDER BY department_id`),
    ).toEqual([
      { department_name: 'Sales', location: 'Manchester' },
      { department_name: 'Purchasing', location: 'Manchester' },
      { department_name: 'Production', location: 'Leeds' },
      { department_name: 'Dispatch', location: 'Leds' },
      { department_name: 'Finance', location: 'Manchester' },
      { department_name: 'Facilities', location: 'Manchester' },
      { department_name: 'Communications', location: 'Leeds' },
      { department_name: 'HR', location: 'Leeds' },
    ]);
    expect(
      Number(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM department WHERE manager IS NULL`)),
    ).toBe(0);
  });

  it('has the awkward values the pipeline must carry', async () => {
    const staff = await row(sql.unsafe`
      SELECT count(*) FILTER (WHERE last_name = 'O''Keefe') AS okeefe,
             count(*) FILTER (WHERE email_address <> lower(first_name || '.' || last_name || '@terrifictotes.com')) AS bad_email,
             count(DISTINCT department_id) AS departments
      FROM staff`);
    expect(staff).toEqual({ okeefe: 1, bad_email: 0, departments: 8 });
    const names = await row(sql.unsafe`
      SELECT count(*) FILTER (WHERE counterparty_legal_name LIKE '%,%') AS commas,
             count(*) FILTER (WHERE counterparty_legal_name LIKE '% - %') AS hyphens,
             count(*) FILTER (WHERE counterparty_legal_name LIKE '%''%') AS apostrophes,
             count(DISTINCT counterparty_legal_name) AS distinct_names,
             count(DISTINCT legal_address_id) AS legal_addresses
      FROM counterparty`);
    expect(names.commas).toBeGreaterThan(0);
    expect(names.hyphens).toBeGreaterThan(0);
    expect(names.apostrophes).toBeGreaterThan(0);
    expect(names.distinct_names).toBe(20);
    expect(names.legal_addresses).toBeLessThan(20); // several counterparties share one
    const addresses = await row(sql.unsafe`
      SELECT count(*) FILTER (WHERE address_line_2 IS NULL) AS line2_null,
             count(*) FILTER (WHERE district IS NULL) AS district_null,
             count(*) FILTER (WHERE postal_code !~ '^[0-9]{5}(-[0-9]{4})?$') AS bad_postcode,
             count(*) FILTER (WHERE postal_code LIKE '0%') AS leading_zero,
             count(*) FILTER (WHERE postal_code LIKE '%-%') AS zip4,
             count(*) FILTER (WHERE phone !~ '^[0-9]{4} [0-9]{6}$') AS bad_phone
      FROM address`);
    expect(addresses.line2_null).toBeGreaterThanOrEqual(17); // about 2 of 3 of 30
    expect(addresses.line2_null).toBeLessThanOrEqual(23);
    expect(addresses.district_null).toBeGreaterThanOrEqual(12); // about half
    expect(addresses.district_null).toBeLessThanOrEqual(18);
    expect(addresses.bad_postcode).toBe(0);
    expect(addresses.leading_zero).toBeGreaterThan(0);
    expect(addresses.zip4).toBeGreaterThan(0);
    expect(addresses.bad_phone).toBe(0);
  });

  it('spreads orders from 2022-11-03 to November 2024, about 15 sales a day, every currency used', async () => {
    const span = await row(sql.unsafe`
      SELECT min(created_at)::text AS first, max(created_at)::text AS last,
             count(DISTINCT currency_id) AS currencies, count(DISTINCT staff_id) AS staff,
             count(DISTINCT agreed_delivery_location_id) AS locations
      FROM sales_order`);
    expect(String(span.first) >= '2022-11-03 14:20:49.962').toBe(true);
    expect(String(span.first) < '2022-11-05').toBe(true);
    expect(String(span.last) >= '2024-11-01').toBe(true);
    expect(String(span.last) < '2024-11-22').toBe(true);
    expect(span.currencies).toBe(3);
    expect(span.staff).toBe(20);
    expect(span.locations).toBe(30);
    // All sequences continue after the explicit ids.
    const next = await row(sql.unsafe`
      SELECT nextval(pg_get_serial_sequence('"transaction"', 'transaction_id')) AS t,
             (SELECT max(transaction_id) FROM "transaction") AS max_t,
             nextval(pg_get_serial_sequence('address', 'address_id')) AS a`);
    expect(next.t).toBe(Number(next.max_t) + 1);
    expect(next.a).toBe(31);
  });
});
