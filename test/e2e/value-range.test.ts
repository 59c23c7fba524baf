/**
 * Values at the edges of what the source's column types allow, carried source row → warehouse row
 * through the real stage code (extract run logic, transform and load handlers, emulated S3 and
 * DynamoDB, embedded PostgreSQL): dates of years 1, 99 and 9999 (JavaScript's Date.UTC maps years
 * 0–99 to 1900–1999) and unbounded numerics wider than 38 significant digits (issue 19 item 6).
 * The ops reconcile must find the warehouse exact.
 */

import { GetObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'slonik';
import { reconcile } from '../../services/tools/ops/reconcile/index.ts';
import { parquetColumns, readParquet } from '../../shared/parquet/index.ts';
import { type StagePipeline, startStagePipeline } from '../support/stage-pipeline.ts';

/** 40 significant digits (31 + 9), and 41 negative ones: beyond DECIMAL(38). */
const WIDE_PRICE = '1234567890123456789012345678901.234567891';
const WIDE_NEGATIVE = '-98765432109876543210987654321098.765432101';

let pipeline: StagePipeline;

beforeAll(async () => {
  pipeline = await startStagePipeline({ name: 'range', seed: { scale: 0.02, seed: 20261130 } });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('values at the edges of the source types', () => {
  it('carries dates of years 1–9999 and numerics beyond 38 digits exactly into the warehouse', async () => {
    const { aws, source, warehouse } = pipeline;
    const s = source.pool;
    await s.query(
      sql.unsafe`UPDATE sales_order SET agreed_payment_date = '0001-01-01' WHERE sales_order_id = 1`,
    );
    await s.query(
      sql.unsafe`UPDATE sales_order SET agreed_payment_date = '0099-06-15' WHERE sales_order_id = 2`,
    );
    await s.query(
      sql.unsafe`UPDATE sales_order SET agreed_delivery_date = '9999-12-31' WHERE sales_order_id = 3`,
    );
    await s.query(
      sql.unsafe`UPDATE sales_order SET agreed_delivery_date = '0004-02-29' WHERE sales_order_id = 4`,
    );
    await s.query(
      sql.unsafe`UPDATE purchase_order SET item_unit_price = ${WIDE_PRICE} WHERE purchase_order_id = 1`,
    );
    await s.query(
      sql.unsafe`UPDATE purchase_order SET item_unit_price = ${WIDE_NEGATIVE} WHERE purchase_order_id = 2`,
    );

    // A timestamp of year 1 too (created and last updated), through the extract's window arithmetic.
    await s.query(sql.unsafe`UPDATE payment SET created_at = '0001-01-01 00:00:00.000',
      last_updated = '0001-01-01 00:00:00.001' WHERE payment_id = 1`);

    const ingestionManifest = await pipeline.extract();
    const manifests = await pipeline.transform(ingestionManifest, 't-1');
    const keys = await pipeline.processedKeys(
      ingestionManifest.slice(0, ingestionManifest.lastIndexOf('/') + 1),
    );

    // The lake: the purchase-order file carries item_unit_price as UTF8 decimal text (a value
    // beyond DECIMAL(38)), read back exactly by shared/parquet.
    const poKey = keys.find((k) => k.includes('fact_purchase_order') && k.endsWith('.parquet'));
    expect(poKey).toBeDefined();
    const object = await aws.s3.send(new GetObjectCommand({ Bucket: pipeline.processedBucket, Key: poKey }));
    const file = await object.Body!.transformToByteArray();
    expect(parquetColumns(file).find((c) => c.name === 'item_unit_price')?.type).toEqual({ kind: 'utf8' });
    const lakePrices = (await readParquet(file)).rows.map((r) => r.item_unit_price);
    expect(lakePrices).toContain(WIDE_PRICE);
    expect(lakePrices).toContain(WIDE_NEGATIVE);

    await pipeline.load(manifests);

    const w = warehouse.pool;
    expect(
      await w.any(sql.unsafe`SELECT sales_order_id, agreed_payment_date::text AS pay,
          agreed_delivery_date::text AS delivery
        FROM fact_sales_order WHERE sales_order_id IN (1, 2, 3, 4) ORDER BY 1`),
    ).toEqual([
      expect.objectContaining({ sales_order_id: 1, pay: '0001-01-01' }),
      expect.objectContaining({ sales_order_id: 2, pay: '0099-06-15' }),
      expect.objectContaining({ sales_order_id: 3, delivery: '9999-12-31' }),
      expect.objectContaining({ sales_order_id: 4, delivery: '0004-02-29' }),
    ]);
    // Exact, digit for digit.
    expect(
      await w.anyFirst(sql.unsafe`SELECT item_unit_price::text FROM fact_purchase_order
        WHERE purchase_order_id IN (1, 2) ORDER BY purchase_order_id`),
    ).toEqual([WIDE_PRICE, WIDE_NEGATIVE]);

    expect(
      await w.one(sql.unsafe`SELECT created_date::text AS created_date, created_time::text AS created_time,
          last_updated_date::text AS updated_date, last_updated_time::text AS updated_time
        FROM fact_payment WHERE payment_id = 1`),
    ).toEqual({
      created_date: '0001-01-01',
      created_time: '00:00:00',
      updated_date: '0001-01-01',
      updated_time: '00:00:00.001',
    });

    // dim_date for the early years: the proleptic Gregorian calendar PostgreSQL uses.
    expect(
      await w.any(sql.unsafe`SELECT date_id::text AS date_id, year, month, day, day_of_week, day_name,
          month_name, quarter FROM dim_date WHERE date_id < '1000-01-01' OR date_id > '9000-01-01' ORDER BY 1`),
    ).toEqual([
      {
        date_id: '0001-01-01',
        year: 1,
        month: 1,
        day: 1,
        day_of_week: 1,
        day_name: 'Monday',
        month_name: 'January',
        quarter: 1,
      },
      {
        date_id: '0004-02-29',
        year: 4,
        month: 2,
        day: 29,
        day_of_week: 7,
        day_name: 'Sunday',
        month_name: 'February',
        quarter: 1,
      },
      {
        date_id: '0099-06-15',
        year: 99,
        month: 6,
        day: 15,
        day_of_week: 1,
        day_name: 'Monday',
        month_name: 'June',
        quarter: 2,
      },
      {
        date_id: '9999-12-31',
        year: 9999,
        month: 12,
        day: 31,
        day_of_week: 5,
        day_name: 'Friday',
        month_name: 'December',
        quarter: 4,
      },
    ]);
    // Every dim_date row agrees with PostgreSQL's own calendar.
    expect(
      await w.oneFirst(sql.unsafe`SELECT count(*) FROM dim_date
        WHERE day_of_week <> extract(isodow FROM date_id) OR day_name <> trim(to_char(date_id, 'Day'))
          OR month_name <> trim(to_char(date_id, 'Month')) OR quarter <> extract(quarter FROM date_id)
          OR year <> extract(year FROM date_id) OR day <> extract(day FROM date_id)`),
    ).toBe(0);

    const result = await reconcile(s, w);
    expect(result.mismatches).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
