/**
 * The whole pipeline on a small seed, through the real stage code: the extract run logic against a
 * seeded totesys, the transform handler fed the ingestion manifests' S3 notifications, the load
 * handler fed the processed manifests' notifications — emulated S3/DynamoDB (fauxqs, dynalite),
 * embedded PostgreSQL for both databases. Then the warehouse is compared with an expectation
 * computed here from the source (and with the ops reconcile as a second opinion). Two more rounds
 * change the source; their units are loaded newest first, then everything is redelivered.
 */

import { type DatabasePool, sql } from 'slonik';
import { reconcile } from '../../services/tools/ops/reconcile/index.ts';
import { type StagePipeline, startStagePipeline } from '../support/stage-pipeline.ts';

let pipeline: StagePipeline;

beforeAll(async () => {
  pipeline = await startStagePipeline({ name: 'e2e', seed: { scale: 0.05, seed: 20241114 } });
});

afterAll(async () => {
  await pipeline?.stop();
});

type Rows = readonly Record<string, unknown>[];
const rows = async (pool: DatabasePool, query: ReturnType<typeof sql.unsafe>): Promise<Rows> =>
  [...(await pool.any(query))] as Record<string, unknown>[];

/** The expectation, computed from the source as spec §2.1 says (independently of the transform). */
async function expectWarehouseMatchesSource(): Promise<void> {
  const w = pipeline.warehouse.pool;
  const s = pipeline.source.pool;
  expect(await rows(w, sql.unsafe`SELECT * FROM dim_staff ORDER BY staff_id`)).toEqual(
    await rows(
      s,
      sql.unsafe`SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location, s.email_address
        FROM staff s JOIN department d USING (department_id) ORDER BY s.staff_id`,
    ),
  );
  expect(await rows(w, sql.unsafe`SELECT * FROM dim_location ORDER BY location_id`)).toEqual(
    await rows(
      s,
      sql.unsafe`SELECT address_id AS location_id, address_line_1, address_line_2, district, city, postal_code,
        country, phone FROM address ORDER BY address_id`,
    ),
  );
  expect(await rows(w, sql.unsafe`SELECT * FROM dim_counterparty ORDER BY counterparty_id`)).toEqual(
    await rows(
      s,
      sql.unsafe`SELECT c.counterparty_id, c.counterparty_legal_name,
        a.address_line_1 AS counterparty_legal_address_line_1, a.address_line_2 AS counterparty_legal_address_line_2,
        a.district AS counterparty_legal_district, a.city AS counterparty_legal_city,
        a.postal_code AS counterparty_legal_postal_code, a.country AS counterparty_legal_country,
        a.phone AS counterparty_legal_phone_number
        FROM counterparty c JOIN address a ON a.address_id = c.legal_address_id ORDER BY c.counterparty_id`,
    ),
  );
  expect(await rows(w, sql.unsafe`SELECT * FROM dim_transaction ORDER BY transaction_id`)).toEqual(
    await rows(
      s,
      sql.unsafe`SELECT transaction_id, transaction_type, sales_order_id, purchase_order_id
        FROM "transaction" ORDER BY transaction_id`,
    ),
  );
  expect(
    await rows(w, sql.unsafe`SELECT currency_id, currency_code, currency_name FROM dim_currency ORDER BY 1`),
  ).toEqual(
    (await rows(s, sql.unsafe`SELECT currency_id, currency_code FROM currency ORDER BY 1`)).map((c) => ({
      ...c,
      currency_name: new Intl.DisplayNames(['en'], { type: 'currency' }).of(String(c.currency_code)),
    })),
  );

  // The latest version of every sales order equals the current source row (money exact).
  const latest = await rows(
    w,
    sql.unsafe`SELECT DISTINCT ON (sales_order_id) sales_order_id,
        created_date::text || ' ' || to_char(created_time, 'HH24:MI:SS.MS') AS created,
        last_updated_date::text || ' ' || to_char(last_updated_time, 'HH24:MI:SS.MS') AS updated,
        sales_staff_id, counterparty_id, units_sold, unit_price::text AS unit_price, currency_id, design_id,
        agreed_payment_date::text AS agreed_payment_date, agreed_delivery_date::text AS agreed_delivery_date,
        agreed_delivery_location_id
      FROM fact_sales_order ORDER BY sales_order_id, last_updated_date DESC, last_updated_time DESC`,
  );
  const current = await rows(
    s,
    sql.unsafe`SELECT sales_order_id, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS created,
        to_char(last_updated, 'YYYY-MM-DD HH24:MI:SS.MS') AS updated, staff_id AS sales_staff_id, counterparty_id,
        units_sold, round(unit_price, 2)::text AS unit_price, currency_id, design_id, agreed_payment_date,
        agreed_delivery_date, agreed_delivery_location_id
      FROM sales_order ORDER BY sales_order_id`,
  );
  expect(latest.length).toBeGreaterThan(100);
  expect(latest).toEqual(current);

  // Every payment's latest version: paid flag and exact amount.
  expect(
    await rows(
      w,
      sql.unsafe`SELECT DISTINCT ON (payment_id) payment_id, paid, payment_amount::text AS amount
        FROM fact_payment ORDER BY payment_id, last_updated_date DESC, last_updated_time DESC`,
    ),
  ).toEqual(
    await rows(
      s,
      sql.unsafe`SELECT payment_id, paid, payment_amount::text AS amount FROM payment ORDER BY 1`,
    ),
  );
  expect(
    await w.oneFirst(sql.unsafe`SELECT count(DISTINCT purchase_order_id) FROM fact_purchase_order`),
  ).toBe(await s.oneFirst(sql.unsafe`SELECT count(*) FROM purchase_order`));

  // No version stored twice.
  for (const [table, id] of [
    ['fact_sales_order', 'sales_order_id'],
    ['fact_purchase_order', 'purchase_order_id'],
    ['fact_payment', 'payment_id'],
  ] as const) {
    expect(
      await w.oneFirst(sql.unsafe`SELECT count(*) FROM (SELECT 1 FROM ${sql.identifier([table])}
        GROUP BY ${sql.identifier([id])}, last_updated_date, last_updated_time HAVING count(*) > 1) d`),
    ).toBe(0);
  }

  // Every referenced date present, with ISO weekday and English names.
  expect(
    await w.oneFirst(sql.unsafe`
      SELECT count(*) FROM (
        SELECT created_date AS d FROM fact_sales_order UNION SELECT last_updated_date FROM fact_sales_order
        UNION SELECT agreed_payment_date FROM fact_sales_order UNION SELECT agreed_delivery_date FROM fact_sales_order
        UNION SELECT created_date FROM fact_purchase_order UNION SELECT agreed_delivery_date FROM fact_purchase_order
        UNION SELECT agreed_payment_date FROM fact_purchase_order UNION SELECT payment_date FROM fact_payment
        UNION SELECT last_updated_date FROM fact_payment
      ) refs WHERE NOT EXISTS (SELECT 1 FROM dim_date WHERE date_id = refs.d)`),
  ).toBe(0);
  expect(
    await w.oneFirst(sql.unsafe`SELECT count(*) FROM dim_date
      WHERE day_of_week <> extract(isodow FROM date_id) OR day_name <> trim(to_char(date_id, 'Day'))
        OR month_name <> trim(to_char(date_id, 'Month')) OR quarter <> extract(quarter FROM date_id)`),
  ).toBe(0);

  // The ops reconcile, as a second opinion.
  const result = await reconcile(s, w);
  expect(result.mismatches).toEqual([]);
  expect(result.ok).toBe(true);
}

describe('pipeline on a small seed', () => {
  it('extract → transform → load gives the warehouse the source implies, in any order, exactly once', async () => {
    // Round 1: the initial load.
    const { extract, transform, load, source, warehouse } = pipeline;
    const first = await extract();
    const firstProcessed = await transform(first, 't-1');
    await load(firstProcessed);
    await expectWarehouseMatchesSource();
    const ledgerAfterFirst = await warehouse.pool.oneFirst(
      sql.unsafe`SELECT count(*) FROM pipeline.load_ledger`,
    );
    expect(ledgerAfterFirst).toBe(firstProcessed.length);

    // Rounds 2 and 3: changes in the source (orders, payments, an address shared by
    // counterparties, a department), always moving last_updated forward on the database clock,
    // each round extracted and transformed into its own unit.
    const nowUtc = sql.fragment`(now() AT TIME ZONE 'UTC')::timestamp(3)`;
    const sharedAddress = Number(
      await source.pool.oneFirst(
        sql.unsafe`SELECT legal_address_id FROM counterparty GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
      ),
    );
    const change = async (round: number) => {
      await source.pool.query(sql.unsafe`UPDATE sales_order SET units_sold = units_sold + ${round},
        unit_price = ${`3.9${round}`}, last_updated = ${nowUtc} WHERE sales_order_id IN (1, 2, 3)`);
      await source.pool.query(
        sql.unsafe`UPDATE payment SET paid = ${round === 3}, last_updated = ${nowUtc} WHERE payment_id IN (1, 4)`,
      );
      await source.pool.query(sql.unsafe`UPDATE address SET city = ${`Leeds ${round}`},
        address_line_2 = 'Flat 2, O''Keefe House', last_updated = ${nowUtc} WHERE address_id = ${sharedAddress}`);
      await source.pool.query(sql.unsafe`UPDATE department SET location = ${`Leeds ${round}`},
        last_updated = ${nowUtc} WHERE department_id = 1`);
    };
    await change(2);
    const secondProcessed = await transform(await extract(), 't-2');
    await change(3);
    const thirdProcessed = await transform(await extract(), 't-3');

    // The newest unit is loaded first, then the older one (its dimension versions must lose),
    // then everything is redelivered as a DLQ redrive would (new messages, and an idempotency
    // table that no longer knows them: the load ledger does), and one notification arrives twice.
    await load(thirdProcessed);
    await load(secondProcessed);
    const lostTable = `${pipeline.idempotencyTable}-lost`;
    await pipeline.aws.createIdempotencyTable(lostTable);
    const replay = pipeline.loadHandler({ IDEMPOTENCY_TABLE: lostTable });
    const replayed = [];
    for (const [i, key] of [...thirdProcessed, ...firstProcessed, ...secondProcessed].entries()) {
      replayed.push(await pipeline.notification(pipeline.processedBucket, key, `replay-${i + 1}`));
    }
    await pipeline.runHandler(replay, replayed);
    await load(secondProcessed);

    await expectWarehouseMatchesSource();
    expect(await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM pipeline.load_ledger`)).toBe(
      firstProcessed.length + secondProcessed.length + thirdProcessed.length,
    );
    // History: orders 1–3 now have three versions each, the latest with the newest values.
    expect(
      await rows(
        warehouse.pool,
        sql.unsafe`SELECT sales_order_id, count(*) AS versions FROM fact_sales_order
          WHERE sales_order_id IN (1, 2, 3) GROUP BY 1 ORDER BY 1`,
      ),
    ).toEqual([
      { sales_order_id: 1, versions: 3 },
      { sales_order_id: 2, versions: 3 },
      { sales_order_id: 3, versions: 3 },
    ]);
    expect(
      await warehouse.pool.anyFirst(
        sql.unsafe`SELECT DISTINCT counterparty_legal_city FROM dim_counterparty c
          WHERE counterparty_legal_address_line_2 = 'Flat 2, O''Keefe House'`,
      ),
    ).toEqual(['Leeds 3']);
  });
});
