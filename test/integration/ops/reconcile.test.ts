import { type DatabasePool, type FragmentSqlToken, sql } from 'slonik';
import { reconcileHistory, VersionRecorder } from '../../../services/tools/ops/reconcile/history.ts';
import { reconcile } from '../../../services/tools/ops/reconcile/reconcile.ts';
import { renderReconcileReport } from '../../../services/tools/ops/reconcile/render.ts';
import type { Mismatch, ReconcileResult } from '../../../services/tools/ops/reconcile/types.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { sourceDdlStatements } from '../../../shared/schema/totesys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { DROP_DIM_DATE_FOREIGN_KEYS, SOURCE_ROWS, WAREHOUSE_ROWS } from './reconcile-fixture.ts';

describe('totes reconcile (independent oracle)', () => {
  let source: TestDatabase;
  let warehouseDb: TestDatabase;

  beforeAll(async () => {
    [source, warehouseDb] = await Promise.all([
      createTestDatabase('reconcile_source'),
      createTestDatabase('reconcile_warehouse'),
    ]);
    for (const statement of sourceDdlStatements()) await source.pool.query(statement);
    for (const statement of SOURCE_ROWS) await source.pool.query(statement);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), warehouseDb?.drop()]);
  });

  /**
   * The warehouse database rebuilt from nothing (schemas dropped, migrations applied) holding exactly
   * what the spec derives from the fixture source; each test then corrupts it in its own way.
   */
  async function correctWarehouse(): Promise<DatabasePool> {
    const pool = warehouseDb.pool;
    await pool.query(sql.unsafe`DROP SCHEMA IF EXISTS "public" CASCADE`);
    await pool.query(sql.unsafe`DROP SCHEMA IF EXISTS "pipeline" CASCADE`);
    await pool.query(sql.unsafe`CREATE SCHEMA "public"`);
    await migrateWarehouse(pool);
    for (const statement of WAREHOUSE_ROWS) await pool.query(statement);
    return pool;
  }

  /**
   * Drops the fact's unique version constraint, then stores the rows matching `where` a second
   * time (same values, a new surrogate key).
   */
  async function storeTwice(
    pool: DatabasePool,
    table: string,
    surrogateKey: string,
    where: FragmentSqlToken,
  ): Promise<void> {
    const t = sql.identifier([table]);
    await pool.query(
      sql.unsafe`ALTER TABLE ${t} DROP CONSTRAINT ${sql.identifier([`${table}_version_key`])}`,
    );
    await pool.query(sql.unsafe`
      INSERT INTO ${t}
      SELECT (jsonb_populate_record(NULL::${t}, to_jsonb("f") || jsonb_build_object(
        ${surrogateKey}::text, nextval(pg_get_serial_sequence(${table}, ${surrogateKey}))))).*
      FROM ${t} AS "f" WHERE ${where}`);
  }

  /** Mismatches without the optional fields a test does not pin down. */
  const brief = (m: Mismatch) => ({
    table: m.table,
    kind: m.kind,
    id: m.id,
    ...(m.column === undefined ? {} : { column: m.column }),
    ...(m.expected === undefined ? {} : { expected: m.expected }),
    ...(m.actual === undefined ? {} : { actual: m.actual }),
  });
  const mismatchesOf = (result: ReconcileResult) => result.mismatches.map(brief);

  it('finds no mismatch in a correct warehouse, with counts per table', async () => {
    const warehouse = await correctWarehouse();
    const result = await reconcile(source.pool, warehouse, { pageSize: 2 });
    expect(result.mismatches).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.summary.totalMismatches).toBe(0);
    expect(result.counts.dim_counterparty).toMatchObject({ sourceRows: 3, warehouseRows: 3, compared: 3 });
    expect(result.counts.fact_sales_order).toMatchObject({
      sourceRows: 2,
      warehouseRows: 3,
      warehouseIds: 2,
      compared: 2,
      duplicateVersions: 0,
    });
    expect(result.counts.fact_payment).toMatchObject({ sourceRows: 3, warehouseRows: 4, compared: 3 });
    expect(result.counts.dim_date).toMatchObject({ sourceRows: null, warehouseRows: 6, referencedDates: 5 });
    expect(Object.keys(result.counts)).toHaveLength(11);
    // Fingerprints agree across types (2580 / 2580.00, '.5' / time(3), varchar / date), so no row
    // needed a second, column-by-column look, even with one id per digest block.
    const perId = await reconcile(source.pool, warehouse, { blockSize: 1 });
    expect(perId.ok).toBe(true);
    for (const [table, counts] of Object.entries(perId.counts)) {
      if (counts.rechecked !== undefined)
        expect({ table, rechecked: counts.rechecked }).toEqual({ table, rechecked: 0 });
    }
    expect(renderReconcileReport(result)).toMatch(/^OK: the warehouse matches the source/m);
  });

  it('reports a changed dimension value, including NULL versus empty text', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(sql.unsafe`UPDATE "dim_staff" SET "last_name" = 'OKeefe' WHERE "staff_id" = 1`);
    await warehouse.query(
      sql.unsafe`UPDATE "dim_location" SET "address_line_2" = '' WHERE "location_id" = 2`,
    );
    await warehouse.query(
      sql.unsafe`UPDATE "dim_counterparty" SET "counterparty_legal_postal_code" = '1234' WHERE "counterparty_id" = 3`,
    );
    const result = await reconcile(source.pool, warehouse);
    expect(result.ok).toBe(false);
    expect(mismatchesOf(result)).toEqual([
      {
        table: 'dim_location',
        kind: 'different',
        id: 2,
        column: 'address_line_2',
        expected: null,
        actual: '',
      },
      {
        table: 'dim_counterparty',
        kind: 'different',
        id: 3,
        column: 'counterparty_legal_postal_code',
        expected: '99305-7380',
        actual: '1234',
      },
      {
        table: 'dim_staff',
        kind: 'different',
        id: 1,
        column: 'last_name',
        expected: "O'Keefe",
        actual: 'OKeefe',
      },
    ]);
    expect(result.counts.dim_staff?.mismatches).toBe(1);
    expect(result.summary.byKind.different).toBe(3);
  });

  it('reports a missing dimension row and an extra one', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(sql.unsafe`DELETE FROM "dim_counterparty" WHERE "counterparty_id" = 3`);
    await warehouse.query(sql.unsafe`INSERT INTO "dim_design" VALUES (9, 'Steel', '/tmp', 'steel.json')`);
    const result = await reconcile(source.pool, warehouse);
    expect(mismatchesOf(result)).toEqual([
      { table: 'dim_counterparty', kind: 'missing', id: 3 },
      { table: 'dim_design', kind: 'extra', id: 9 },
    ]);
  });

  it('reports a lost fact (a source row with no version in the warehouse)', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(sql.unsafe`DELETE FROM "fact_payment" WHERE "payment_id" = 3`);
    const result = await reconcile(source.pool, warehouse);
    expect(result.mismatches).toEqual([
      { table: 'fact_payment', kind: 'missing', id: 3, version: '2024-03-01 00:00:00.000' },
    ]);
  });

  it('reports a stale latest version (source updated, warehouse not)', async () => {
    const warehouse = await correctWarehouse();
    // Only the first version of order 1 reached the warehouse.
    await warehouse.query(
      sql.unsafe`DELETE FROM "fact_sales_order" WHERE "sales_order_id" = 1 AND "last_updated_date" = '2024-03-01'`,
    );
    const result = await reconcile(source.pool, warehouse);
    expect(mismatchesOf(result)).toEqual([
      {
        table: 'fact_sales_order',
        kind: 'different',
        id: 1,
        column: 'last_updated_date',
        expected: '2024-03-01',
        actual: '2024-02-29',
      },
      {
        table: 'fact_sales_order',
        kind: 'different',
        id: 1,
        column: 'last_updated_time',
        expected: '09:30:00.500',
        actual: '10:00:00.123',
      },
      {
        table: 'fact_sales_order',
        kind: 'different',
        id: 1,
        column: 'units_sold',
        expected: '2000',
        actual: '1000',
      },
      {
        table: 'fact_sales_order',
        kind: 'different',
        id: 1,
        column: 'unit_price',
        expected: '3',
        actual: '2.57',
      },
      {
        table: 'fact_sales_order',
        kind: 'different',
        id: 1,
        column: 'agreed_delivery_location_id',
        expected: '3',
        actual: '1',
      },
    ]);
    expect(result.mismatches[0]?.version).toBe('2024-02-29 10:00:00.123');
  });

  it('sees a source update the warehouse has not caught up with', async () => {
    const warehouse = await correctWarehouse();
    await source.pool.query(
      sql.unsafe`UPDATE "purchase_order" SET "item_quantity" = 372, "last_updated" = '2024-03-02 08:00:00.010' WHERE "purchase_order_id" = 1`,
    );
    try {
      const result = await reconcile(source.pool, warehouse);
      expect(mismatchesOf(result)).toEqual([
        {
          table: 'fact_purchase_order',
          kind: 'different',
          id: 1,
          column: 'last_updated_date',
          expected: '2024-03-02',
          actual: '2024-03-01',
        },
        {
          table: 'fact_purchase_order',
          kind: 'different',
          id: 1,
          column: 'last_updated_time',
          expected: '08:00:00.010',
          actual: '00:00:00.000',
        },
        {
          table: 'fact_purchase_order',
          kind: 'different',
          id: 1,
          column: 'item_quantity',
          expected: '372',
          actual: '371',
        },
      ]);
    } finally {
      await source.pool.query(
        sql.unsafe`UPDATE "purchase_order" SET "item_quantity" = 371, "last_updated" = '2024-03-01 00:00:00' WHERE "purchase_order_id" = 1`,
      );
    }
  });

  it('reports a version stored twice once the unique constraint is gone', async () => {
    const warehouse = await correctWarehouse();
    await storeTwice(
      warehouse,
      'fact_sales_order',
      'sales_record_id',
      sql.fragment`"sales_order_id" = 1 AND "last_updated_date" = '2024-03-01'`,
    );
    const result = await reconcile(source.pool, warehouse);
    expect(result.mismatches).toEqual([
      {
        table: 'fact_sales_order',
        kind: 'duplicate',
        id: 1,
        version: '2024-03-01 09:30:00.500',
        column: 'last_updated',
        expected: '1',
        actual: '2',
      },
    ]);
    expect(result.counts.fact_sales_order).toMatchObject({ warehouseRows: 4, duplicateVersions: 1 });
  });

  it('compares money exactly: 2.57 is not 2.58, 2580.00 is 2580', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(
      sql.unsafe`UPDATE "fact_sales_order" SET "unit_price" = 2.57 WHERE "sales_order_id" = 2`,
    );
    const result = await reconcile(source.pool, warehouse);
    expect(mismatchesOf(result)).toEqual([
      {
        table: 'fact_sales_order',
        kind: 'different',
        id: 2,
        column: 'unit_price',
        expected: '2.58',
        actual: '2.57',
      },
    ]);
  });

  it('reports a referenced date missing from dim_date', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(DROP_DIM_DATE_FOREIGN_KEYS);
    await warehouse.query(sql.unsafe`DELETE FROM "dim_date" WHERE "date_id" = '2024-03-04'`);
    // An unreferenced date may go: extra and absent dates are both allowed.
    await warehouse.query(sql.unsafe`DELETE FROM "dim_date" WHERE "date_id" = '2024-03-05'`);
    const result = await reconcile(source.pool, warehouse);
    expect(mismatchesOf(result)).toEqual([
      {
        table: 'dim_date',
        kind: 'missing-date',
        id: '2024-03-04',
        column: 'fact_purchase_order.agreed_delivery_date, fact_sales_order.agreed_delivery_date',
        actual: null,
      },
    ]);
  });

  it('reports wrong dim_date attributes', async () => {
    const warehouse = await correctWarehouse();
    // Sunday as 1 (a week starting on Sunday) instead of ISO 7; a padded month name.
    await warehouse.query(sql.unsafe`UPDATE "dim_date" SET "day_of_week" = 1 WHERE "date_id" = '2024-03-03'`);
    await warehouse.query(
      sql.unsafe`UPDATE "dim_date" SET "month_name" = 'March    ' WHERE "date_id" = '2024-03-05'`,
    );
    const result = await reconcile(source.pool, warehouse);
    expect(mismatchesOf(result)).toEqual([
      {
        table: 'dim_date',
        kind: 'bad-date',
        id: '2024-03-03',
        column: 'day_of_week',
        expected: '7',
        actual: '1',
      },
      {
        table: 'dim_date',
        kind: 'bad-date',
        id: '2024-03-05',
        column: 'month_name',
        expected: 'March',
        actual: 'March    ',
      },
    ]);
  });

  it('finds the same mismatches whatever the digest block and page sizes', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(
      sql.unsafe`UPDATE "dim_transaction" SET "transaction_type" = 'SALES' WHERE "transaction_id" = 2`,
    );
    await warehouse.query(sql.unsafe`DELETE FROM "dim_payment_type" WHERE "payment_type_id" = 2`);
    await warehouse.query(sql.unsafe`INSERT INTO "dim_payment_type" VALUES (9, 'GIFT')`);
    await warehouse.query(sql.unsafe`UPDATE "fact_payment" SET "paid" = true WHERE "payment_id" = 3`);
    const reference = mismatchesOf(await reconcile(source.pool, warehouse));
    expect(reference).toEqual([
      {
        table: 'dim_transaction',
        kind: 'different',
        id: 2,
        column: 'transaction_type',
        expected: 'SALE',
        actual: 'SALES',
      },
      { table: 'dim_payment_type', kind: 'missing', id: 2 },
      { table: 'dim_payment_type', kind: 'extra', id: 9 },
      { table: 'fact_payment', kind: 'different', id: 3, column: 'paid', expected: 'false', actual: 'true' },
    ]);
    for (const options of [
      { blockSize: 1, pageSize: 1 },
      { blockSize: 2, pageSize: 1 },
      { blockSize: 3, pageSize: 2 },
      { blockSize: 100_000, pageSize: 1 },
    ]) {
      const result = await reconcile(source.pool, warehouse, options);
      expect({ options, mismatches: mismatchesOf(result) }).toEqual({ options, mismatches: reference });
      expect(result.counts.dim_payment_type).toMatchObject({ sourceRows: 4, warehouseRows: 4, compared: 3 });
      expect(result.counts.dim_transaction).toMatchObject({ sourceRows: 3, warehouseRows: 3, compared: 3 });
      expect(result.counts.fact_payment).toMatchObject({ sourceRows: 3, warehouseRows: 4, compared: 3 });
    }
  });

  it('keeps the first mismatches per table but counts them all', async () => {
    const warehouse = await correctWarehouse();
    await warehouse.query(
      sql.unsafe`UPDATE "dim_payment_type" SET "payment_type_name" = lower("payment_type_name")`,
    );
    const result = await reconcile(source.pool, warehouse, { maxMismatchesPerTable: 1 });
    expect(result.mismatches).toHaveLength(1);
    expect(result.counts.dim_payment_type?.mismatches).toBe(4);
    expect(result.summary).toMatchObject({ totalMismatches: 4, truncated: true });
    expect(renderReconcileReport(result, { limit: 1 })).toContain('… and 3 more');
  });

  describe('history mode', () => {
    const olderVersion = { table: 'sales_order', id: 1, lastUpdated: '2024-02-29 10:00:00.123' } as const;

    it('counts nothing lost or duplicated for a correct warehouse', async () => {
      const warehouse = await correctWarehouse();
      const recorder = new VersionRecorder();
      expect(await recorder.snapshot(source.pool)).toBe(6);
      recorder.add(olderVersion);
      recorder.add({ table: 'payment', id: 1, lastUpdated: '2024-02-29 10:00:00.123' });
      expect(await recorder.snapshot(source.pool)).toBe(0);
      expect(recorder.size).toBe(8);
      const result = await reconcileHistory(warehouse, recorder, { chunkSize: 3 });
      expect(result).toMatchObject({ ok: true, lost: 0, duplicated: 0, checked: 8 });
    });

    it('counts lost versions, including an older one, and duplicated versions', async () => {
      const warehouse = await correctWarehouse();
      await warehouse.query(
        sql.unsafe`DELETE FROM "fact_sales_order" WHERE "sales_order_id" = 1 AND "last_updated_date" = '2024-02-29'`,
      );
      await storeTwice(warehouse, 'fact_payment', 'payment_record_id', sql.fragment`"payment_id" = 2`);
      const versions = [
        olderVersion,
        olderVersion, // recorded twice, counted once
        { table: 'sales_order', id: 2, lastUpdated: '2024-02-29 23:59:59.999' },
        { table: 'purchase_order', id: 1, lastUpdated: '2024-03-01 00:00:00' },
        { table: 'purchase_order', id: 1, lastUpdated: '2024-03-02 08:00:00.01' }, // never loaded
        { table: 'payment', id: 2, lastUpdated: '2024-02-29T23:59:59.999' },
      ] as const;
      const result = await reconcileHistory(warehouse, versions);
      expect(result).toMatchObject({ ok: false, lost: 2, duplicated: 1, checked: 5 });
      expect(result.perTable.sales_order).toEqual({ checked: 2, lost: 1, duplicated: 0 });
      expect(result.perTable.payment).toEqual({ checked: 1, lost: 0, duplicated: 1 });
      expect(result.lostVersions).toEqual([
        olderVersion,
        { table: 'purchase_order', id: 1, lastUpdated: '2024-03-02 08:00:00.010' },
      ]);
      expect(result.duplicatedVersions).toEqual([
        { table: 'payment', id: 2, lastUpdated: '2024-02-29 23:59:59.999', copies: 2 },
      ]);
    });

    it('rejects a malformed version instead of counting it', async () => {
      const warehouse = await correctWarehouse();
      await expect(
        reconcileHistory(warehouse, [{ table: 'sales_order', id: 1, lastUpdated: 'yesterday' }]),
      ).rejects.toThrow(/not a timestamp/);
    });
  });
});
