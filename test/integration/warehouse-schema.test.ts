import { sql } from 'slonik';
import { MigrationChecksumError, migrateWarehouse } from '../../shared/db/migrate.ts';
import { sourceDdlStatements } from '../../shared/schema/totesys.ts';
import { createTableStatement } from '../../shared/schema/warehouse/ddl.ts';
import { WAREHOUSE_SPECS } from '../../shared/schema/warehouse/index.ts';
import { type Migration, WAREHOUSE_MIGRATIONS, WAREHOUSE_TABLES } from '../../shared/schema/warehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('warehouse migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('warehouse_schema');
  });
  afterAll(async () => db.drop());

  it('apply once, then re-apply as a no-op', async () => {
    const first = await migrateWarehouse(db.pool);
    expect(first.applied).toEqual(WAREHOUSE_MIGRATIONS.map((m) => m.version));
    const second = await migrateWarehouse(db.pool);
    expect(second.applied).toEqual([]);
    const tables = await db.pool.anyFirst(
      sql.unsafe`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect([...tables].sort()).toEqual([...WAREHOUSE_TABLES].sort());
  });

  it('migration 2 (generations) upgrades a warehouse that already holds units: each counts as generation 1', async () => {
    const scratch = await createTestDatabase('migration_generations');
    try {
      await migrateWarehouse(scratch.pool, WAREHOUSE_MIGRATIONS.slice(0, 1));
      await scratch.pool.query(sql.unsafe`
        INSERT INTO pipeline.load_ledger (unit_id, run_id, rows) VALUES ('units/x/manifest.json', 'x', '{}')`);
      expect((await migrateWarehouse(scratch.pool)).applied).toEqual([2, 3]);
      expect(await scratch.pool.oneFirst(sql.unsafe`SELECT generation FROM pipeline.load_ledger`)).toBe(1);
      expect(await scratch.pool.oneFirst(sql.unsafe`SELECT count(*) FROM pipeline.load_fact_rows`)).toBe(0);
    } finally {
      await scratch.drop();
    }
  });

  it('records a checksum per migration; an applied migration edited since fails loudly, applying nothing', async () => {
    const scratch = await createTestDatabase('migration_checksum');
    try {
      const first: Migration = {
        version: 1,
        description: 'a table',
        statements: [sql.unsafe`CREATE TABLE "a" ("id" int PRIMARY KEY)`],
      };
      const second: Migration = {
        version: 2,
        description: 'another table',
        statements: [sql.unsafe`CREATE TABLE "b" ("id" int PRIMARY KEY)`],
      };
      expect((await migrateWarehouse(scratch.pool, [first])).applied).toEqual([1]);
      const checksums = await scratch.pool.anyFirst(
        sql.unsafe`SELECT "checksum" FROM "pipeline"."schema_migrations"`,
      );
      expect(checksums).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);

      const edited: Migration = {
        ...first,
        statements: [sql.unsafe`CREATE TABLE "a" ("id" bigint PRIMARY KEY)`],
      };
      const run = migrateWarehouse(scratch.pool, [edited, second]);
      await expect(run).rejects.toBeInstanceOf(MigrationChecksumError);
      await expect(run).rejects.toThrow(
        /^warehouse migration 1 \(a table\): recorded checksum [0-9a-f]{12}, now [0-9a-f]{12} edited after being applied/,
      );
      // Migration 2 was not applied past the edited one.
      expect(await scratch.pool.oneFirst(sql.unsafe`SELECT to_regclass('public.b') IS NULL`)).toBe(true);

      // A history written before checksums existed adopts the current ones, then checks them.
      await scratch.pool.query(sql.unsafe`UPDATE "pipeline"."schema_migrations" SET "checksum" = NULL`);
      expect((await migrateWarehouse(scratch.pool, [edited, second])).applied).toEqual([2]);
      await expect(migrateWarehouse(scratch.pool, [first, second])).rejects.toBeInstanceOf(
        MigrationChecksumError,
      );
    } finally {
      await scratch.drop();
    }
  });

  it('rejects a second copy of one fact version', async () => {
    await migrateWarehouse(db.pool);
    await db.pool.query(
      sql.unsafe`INSERT INTO dim_date VALUES ('2024-02-29', 2024, 2, 29, 4, 'Thursday', 'February', 1)`,
    );
    await db.pool.query(
      sql.unsafe`INSERT INTO dim_staff VALUES (1, 'Jeremie', 'O''Keefe', 'Sales', 'Manchester', 'j@x')`,
    );
    await db.pool.query(
      sql.unsafe`INSERT INTO dim_counterparty VALUES (1, 'Grant - Lakin', 'a', NULL, NULL, 'c', '01234', 'UK', '1')`,
    );
    await db.pool.query(sql.unsafe`INSERT INTO dim_currency VALUES (1, 'GBP', 'British Pound')`);
    await db.pool.query(sql.unsafe`INSERT INTO dim_design VALUES (1, 'Steel', '/usr', 'steel.json')`);
    await db.pool.query(
      sql.unsafe`INSERT INTO dim_location VALUES (1, 'a', NULL, NULL, 'c', '01234', 'UK', '1')`,
    );
    const insert = sql.unsafe`
      INSERT INTO fact_sales_order (sales_order_id, created_date, created_time, last_updated_date,
        last_updated_time, sales_staff_id, counterparty_id, units_sold, unit_price, currency_id, design_id,
        agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id)
      VALUES (7, '2024-02-29', '10:00:00.123', '2024-02-29', '10:00:00.123', 1, 1, 100, 2.57, 1, 1,
        '2024-02-29', '2024-02-29', 1)`;
    await db.pool.query(insert);
    const { UniqueIntegrityConstraintViolationError } = await import('slonik');
    const second = db.pool.query(insert);
    await expect(second).rejects.toBeInstanceOf(UniqueIntegrityConstraintViolationError);
    await expect(second).rejects.toMatchObject({ constraint: 'fact_sales_order_version_key' });
  });

  it('creates the source schema exactly as the spec lists it', async () => {
    const source = await createTestDatabase('source_schema');
    try {
      for (const statement of sourceDdlStatements()) await source.pool.query(statement);
      for (const statement of sourceDdlStatements()) await source.pool.query(statement);
      const columns = await source.pool.any(sql.unsafe`
        SELECT column_name, data_type, datetime_precision, is_nullable
        FROM information_schema.columns WHERE table_name = 'sales_order' ORDER BY ordinal_position`);
      expect(columns.map((c) => (c as { column_name: string }).column_name)).toEqual([
        'sales_order_id',
        'created_at',
        'last_updated',
        'design_id',
        'staff_id',
        'counterparty_id',
        'units_sold',
        'unit_price',
        'currency_id',
        'agreed_delivery_date',
        'agreed_payment_date',
        'agreed_delivery_location_id',
      ]);
      expect(columns[1]).toMatchObject({ data_type: 'timestamp without time zone', datetime_precision: 3 });
      expect(columns[7]).toMatchObject({ data_type: 'numeric' });
      expect(columns[9]).toMatchObject({ data_type: 'character varying' });
    } finally {
      await source.drop();
    }
  });

  /**
   * The migrations are frozen history (a deployed warehouse recorded them); the specs are today's
   * declaration. One database built from each must have the same catalog, column by column and
   * constraint by constraint: this is how the DDL is derived from the specs without rewriting an
   * applied migration.
   */
  it('builds the same tables from the migrations as from the table specs', async () => {
    const fromMigrations = await createTestDatabase('from_migrations');
    const fromSpecs = await createTestDatabase('from_specs');
    try {
      await migrateWarehouse(fromMigrations.pool);
      for (const table of WAREHOUSE_TABLES) {
        await fromSpecs.pool.query(createTableStatement(WAREHOUSE_SPECS[table]));
      }
      const catalog = async (pool: typeof db.pool) => ({
        columns: await pool.any(sql.unsafe`
          SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length,
            numeric_precision, numeric_scale, datetime_precision, is_nullable, column_default
          FROM information_schema.columns WHERE table_schema = 'public'
          ORDER BY table_name, ordinal_position`),
        constraints: await pool.any(sql.unsafe`
          SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
          ORDER BY 1, 2`),
      });
      const expected = await catalog(fromMigrations.pool);
      expect(expected.columns.length).toBeGreaterThan(80);
      expect(expected.constraints.length).toBeGreaterThan(40);
      expect(await catalog(fromSpecs.pool)).toEqual(expected);
    } finally {
      await fromMigrations.drop();
      await fromSpecs.drop();
    }
  });
});
