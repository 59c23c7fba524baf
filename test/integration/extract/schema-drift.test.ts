import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { jest } from '@jest/globals';
import pg from 'pg';
import { type QuerySqlToken, sql } from 'slonik';
import {
  type ExtractDeps,
  type ExtractResult,
  runExtract,
} from '../../../services/lambdas/extract/run-extract.ts';
import { SourceSchemaError } from '../../../services/lambdas/extract/source-schema-error.ts';
import { SOURCE_TABLES } from '../../../shared/schema/totesys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import {
  createSource,
  ids,
  type LocalAws,
  listKeys,
  readUnit,
  seedFixture,
  startAws,
  stateItem,
  stateItems,
} from './support.ts';

/**
 * Issue 13 item 4: one test per kind of source schema change. Each one writes a new sale while the
 * source has drifted and checks that the sale arrives exactly once (during the drift when the run
 * can go on, after the fix when it cannot), that a failed run wrote nothing and moved no watermark,
 * and that the SchemaDrift metric and the DRIFT record the local alarm reads are there.
 */

const UTC_NOW = sql.fragment`(now() AT TIME ZONE 'UTC')`;
// The metrics are observed through addMetric; nothing is printed.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('extract: schema drift of the source', () => {
  let db: TestDatabase;
  let aws: LocalAws;
  let deps: ExtractDeps;
  let logger: Logger;
  let metrics: Metrics;
  let drift: number[];
  let warnings: string[];

  const run = () => runExtract(deps, { safetyMarginMs: 0 });

  beforeEach(async () => {
    db = await createTestDatabase('drift');
    aws = await startAws();
    await createSource(db.pool);
    await seedFixture(db.pool);
    logger = new Logger({ logLevel: 'SILENT' });
    metrics = new Metrics({ namespace: 'TotesPipelineTest', serviceName: 'totes-extract' });
    drift = [];
    warnings = [];
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(String(args[0]));
    });
    jest.spyOn(metrics, 'addMetric').mockImplementation((name: string, _unit: unknown, value: number) => {
      if (name === 'SchemaDrift') drift.push(value);
      return metrics;
    });
    deps = {
      pool: db.pool,
      s3: aws.s3,
      dynamo: aws.dynamo,
      bucket: aws.bucket,
      stateTable: aws.stateTable,
      logger,
      metrics,
    };
    const first = await run();
    expect(first.status).toBe('extracted');
    expect(drift).toEqual([0]);
    drift = [];
  });
  afterEach(async () => {
    await aws.stop();
    await db.drop();
  });

  async function newSale(): Promise<number> {
    return (await db.pool.oneFirst(sql.unsafe`
      INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
        unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
      VALUES (${UTC_NOW}, ${UTC_NOW}, 1, 1, 1, 7, 12.50, 1, '2024-01-02', '2024-01-03', 2)
      RETURNING sales_order_id`)) as number;
  }

  /** Every sales_order id delivered in any unit so far, with repeats. */
  async function deliveredSales(): Promise<number[]> {
    const all: number[] = [];
    for (const key of (await listKeys(aws)).filter((k) => k.endsWith('manifest.json'))) {
      all.push(...ids(await readUnit(aws, key), 'sales_order'));
    }
    return all;
  }

  async function watermarks() {
    return (await stateItems(aws, 'WATERMARK')).map(({ sk, watermark, version }) => ({
      sk,
      watermark,
      version,
    }));
  }

  function extracted(result: ExtractResult) {
    if (result.status !== 'extracted') throw new Error(`expected a unit, got ${result.status}`);
    return result;
  }

  /** Compatible drift: the run goes on, the sale arrives once with the known columns only. */
  async function expectCompatible(change: QuerySqlToken, subject: string) {
    await db.pool.query(change);
    const sale = await newSale();
    const result = extracted(await run());
    const unit = await readUnit(aws, result.manifestKey);
    expect(ids(unit, 'sales_order')).toEqual([sale]);
    for (const object of unit.objects) {
      expect(object.columns.map((c) => c.name)).toEqual(
        SOURCE_TABLES[object.table].columns.map((c) => c.name),
      );
    }
    expect(drift).toEqual([1]);
    expect(warnings.join('\n')).toContain(`source schema drift: ${subject}:`);
    expect(warnings.join('\n')).toContain('the run goes on with the known columns');
    expect(await stateItem(aws, 'DRIFT', 'extract')).toMatchObject({ findings: 1, incompatible: 0 });
    // Nothing written twice: the next run has nothing new, and the sale was delivered once.
    expect((await run()).status).toBe('unchanged');
    expect((await deliveredSales()).filter((id) => id === sale)).toEqual([sale]);
  }

  /** Incompatible drift: the run fails before writing; after the fix the sale arrives once. */
  async function expectIncompatible(
    change: QuerySqlToken,
    fix: QuerySqlToken,
    subject: string,
    message: RegExp,
  ) {
    const keysBefore = await listKeys(aws);
    const marksBefore = await watermarks();
    await db.pool.query(change);
    const sale = await newSale();
    const failure = await run().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SourceSchemaError);
    expect((failure as Error).name).toBe('SourceSchemaError');
    expect((failure as Error).message).toContain(subject);
    expect((failure as Error).message).toMatch(message);
    expect((failure as Error).message).not.toContain('42703');
    expect((failure as SourceSchemaError).findings.map((f) => f.subject)).toEqual([subject]);
    // Before writing anything: no object, no watermark moved; the run is recorded as failed.
    expect(await listKeys(aws)).toEqual(keysBefore);
    expect(await watermarks()).toEqual(marksBefore);
    const runs = await stateItems(aws, 'RUN');
    expect(runs.find((r) => r.status === 'failed')?.error).toMatch(/^SourceSchemaError: /);
    expect(drift).toEqual([1]);
    expect(await stateItem(aws, 'DRIFT', 'extract')).toMatchObject({ findings: 1, incompatible: 1 });
    expect(warnings.join('\n')).toContain(`source schema drift: ${subject}:`);

    await db.pool.query(fix);
    drift = [];
    const after = extracted(await run());
    expect(drift).toEqual([0]);
    expect(ids(await readUnit(aws, after.manifestKey), 'sales_order')).toEqual([sale]);
    expect((await run()).status).toBe('unchanged');
    expect((await deliveredSales()).filter((id) => id === sale)).toEqual([sale]);
  }

  it('NEW COLUMN: the run goes on with the known columns and names table.column', async () => {
    await expectCompatible(
      sql.unsafe`ALTER TABLE sales_order ADD COLUMN discount numeric DEFAULT 0`,
      'sales_order.discount',
    );
  });

  it('NEW TABLE: the run goes on without it and names the table', async () => {
    await expectCompatible(
      sql.unsafe`CREATE TABLE loyalty_card (loyalty_card_id serial PRIMARY KEY, last_updated timestamp(3) NOT NULL DEFAULT now())`,
      'loyalty_card',
    );
  });

  it('WIDENED TYPE (varchar(3) → varchar(8)): the run goes on and names table.column', async () => {
    await expectCompatible(
      sql.unsafe`ALTER TABLE currency ALTER COLUMN currency_code TYPE varchar(8)`,
      'currency.currency_code',
    );
  });

  it('MISSING COLUMN: the run fails before writing, naming table.column; after the fix nothing is lost', async () => {
    await expectIncompatible(
      sql.unsafe`ALTER TABLE address DROP COLUMN district`,
      sql.unsafe`ALTER TABLE address ADD COLUMN district varchar`,
      'address.district',
      /column address\.district \(character varying\) is missing from the source/,
    );
  });

  it('RENAMED COLUMN: the run fails before writing, naming old and new name; after the fix nothing is lost', async () => {
    await expectIncompatible(
      sql.unsafe`ALTER TABLE staff RENAME COLUMN email_address TO email`,
      sql.unsafe`ALTER TABLE staff RENAME COLUMN email TO email_address`,
      'staff.email_address',
      /staff\.email stands at its position \(renamed\?\).*RENAME COLUMN email TO email_address/,
    );
  });

  it('INCOMPATIBLE TYPE (int → bigint): the run fails before writing; after the fix nothing is lost', async () => {
    await expectIncompatible(
      sql.unsafe`ALTER TABLE payment ALTER COLUMN company_ac_number TYPE bigint`,
      sql.unsafe`ALTER TABLE payment ALTER COLUMN company_ac_number TYPE int`,
      'payment.company_ac_number',
      /payment\.company_ac_number is bigint, the pipeline expects integer/,
    );
  });

  it('a column dropped between the check and the read is named, not reported as 42703', async () => {
    // The check passes; the drop lands after the staff object is written, before sales_order is read.
    const sale = await newSale();
    await db.pool.query(sql.unsafe`UPDATE staff SET last_updated = ${UTC_NOW} WHERE staff_id = 2`);
    const marksBefore = await watermarks();
    // A plain pg client: slonik refuses any of its pools inside the run's snapshot transaction.
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    let dropped = false;
    const failure = await runExtract(deps, {
      safetyMarginMs: 0,
      afterObjectWritten: async (key) => {
        if (dropped || !key.includes('staff')) return;
        dropped = true;
        await other.query('ALTER TABLE sales_order DROP COLUMN agreed_payment_date');
      },
    })
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .finally(() => other.end());
    expect(failure).toBeInstanceOf(SourceSchemaError);
    expect((failure as Error).message).toContain('sales_order.agreed_payment_date');
    expect(await watermarks()).toEqual(marksBefore);
    await db.pool.query(
      sql.unsafe`ALTER TABLE sales_order ADD COLUMN agreed_payment_date varchar NOT NULL DEFAULT '2024-01-03'`,
    );
    const after = extracted(await run());
    expect(ids(await readUnit(aws, after.manifestKey), 'sales_order')).toContain(sale);
  });
});
