import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { sourceChecks } from '../../../services/tools/ops/doctor/source-checks.ts';
import { warehouseChecks } from '../../../services/tools/ops/doctor/warehouse-checks.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { createSource, seedFixture } from '../extract/support.ts';

/**
 * The database checks of `totes doctor` against real PostgreSQL with least-privileged roles: the
 * extract's SELECT grants and session visibility, a source whose sessions default to a zone west of
 * UTC and whose writer stamps local now(), and a load role that cannot migrate. The last one also
 * shows why doctor asks for CREATE: PostgreSQL checks it before IF NOT EXISTS, so the load's
 * migrate fails at a cold start even with nothing pending.
 */

const suffix = randomBytes(3).toString('hex');
const EXTRACT_ROLE = `doctor_ro_${suffix}`;
const LOAD_ROLE = `doctor_load_${suffix}`;

function asRole(db: TestDatabase, role: string): string {
  const url = new URL(db.url);
  url.username = role;
  url.password = 'doctor';
  return url.toString();
}

const byName = (checks: Awaited<ReturnType<typeof sourceChecks>>, name: string) => {
  const check = checks.find((c) => c.name === name);
  if (!check) throw new Error(`no check ${name}`);
  return check;
};

describe('totes doctor: database checks with least-privileged roles', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;

  beforeAll(async () => {
    source = await createTestDatabase('doctor_src');
    warehouse = await createTestDatabase('doctor_wh');
    for (const role of [EXTRACT_ROLE, LOAD_ROLE]) {
      await source.pool.query(sql.unsafe`CREATE ROLE ${sql.identifier([role])} LOGIN PASSWORD 'doctor'`);
    }
    await createSource(source.pool);
    await seedFixture(source.pool);
  });

  afterAll(async () => {
    await source.drop();
    await warehouse.drop();
    const admin = await createDatabasePool(process.env.TEST_DATABASE_URL as string);
    try {
      for (const role of [EXTRACT_ROLE, LOAD_ROLE]) {
        await admin.query(sql.unsafe`DROP ROLE IF EXISTS ${sql.identifier([role])}`);
      }
    } finally {
      await admin.end();
    }
  });

  it('the extract role: a missing SELECT is a FAIL with its GRANT, hidden sessions a WARN with pg_read_all_stats', async () => {
    const role = sql.identifier([EXTRACT_ROLE]);
    await source.pool.query(sql.unsafe`GRANT SELECT ON address, counterparty, currency, department, staff, design,
      payment_type, sales_order, purchase_order, "transaction" TO ${role}`);
    let checks = await sourceChecks(asRole(source, EXTRACT_ROLE));
    expect(byName(checks, 'source SELECT grants')).toMatchObject({
      status: 'FAIL',
      detail: `${EXTRACT_ROLE} cannot SELECT payment`,
      fix: `GRANT SELECT ON "payment" TO "${EXTRACT_ROLE}";`,
    });
    expect(byName(checks, 'source sessions visible')).toMatchObject({
      status: 'WARN',
      fix: `GRANT pg_read_all_stats TO "${EXTRACT_ROLE}";  (or GRANT pg_monitor)`,
    });
    expect(byName(checks, 'source tables').status).toBe('OK');
    expect(byName(checks, 'source columns').status).toBe('OK');

    // Column grants on the known columns are enough (the extract selects them by name).
    const columns = sql.join(
      [
        'payment_id',
        'created_at',
        'last_updated',
        'transaction_id',
        'counterparty_id',
        'payment_amount',
        'currency_id',
        'payment_type_id',
        'paid',
        'payment_date',
        'company_ac_number',
        'counterparty_ac_number',
      ].map((c) => sql.identifier([c])),
      sql.fragment`, `,
    );
    await source.pool.query(sql.unsafe`GRANT SELECT (${columns}) ON payment TO ${role}`);
    await source.pool.query(sql.unsafe`GRANT pg_read_all_stats TO ${role}`);
    checks = await sourceChecks(asRole(source, EXTRACT_ROLE));
    expect(checks.filter((c) => c.status !== 'OK')).toEqual([]);
    expect(byName(checks, 'source sessions visible').detail).toContain('member of pg_read_all_stats');
  });

  it('sessions west of UTC and a writer stamping local now(): TimeZone and last_updated both WARN', async () => {
    await source.pool.query(
      sql.unsafe`ALTER DATABASE ${sql.identifier([source.name])} SET timezone TO 'America/New_York'`,
    );
    // A writer in a new session (which gets the database's zone) stamping its local now().
    const writer = await createDatabasePool(source.url);
    try {
      await writer.query(sql.unsafe`
        INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
          unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
        VALUES (now(), now(), 1, 1, 1, 3, 9.99, 1, '2024-01-02', '2024-01-03', 2)`);
    } finally {
      await writer.end();
    }
    const checks = await sourceChecks(source.url);
    expect(byName(checks, 'source TimeZone')).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('TimeZone America/New_York'),
      fix: expect.stringContaining(`ALTER DATABASE "${source.name}" SET timezone TO 'UTC';`),
    });
    const utc = byName(checks, 'source last_updated is UTC');
    expect(utc.status).toBe('WARN');
    expect(utc.detail).toContain("which is the session TimeZone's offset");
    expect(utc.detail).toContain('writers appear to stamp now() in local time');
    await source.pool.query(sql.unsafe`ALTER DATABASE ${sql.identifier([source.name])} RESET timezone`);
  });

  it('the warehouse: no migration applied is a FAIL with totes migrate; a load role without CREATE cannot migrate, and doctor says so', async () => {
    let checks = await warehouseChecks(warehouse.url, '<url>');
    expect(byName(checks, 'warehouse migrations')).toMatchObject({
      status: 'FAIL',
      detail: 'none applied (pipeline.schema_migrations is absent)',
      fix: expect.stringContaining('npx totes migrate --warehouse-url <url>'),
    });

    await migrateWarehouse(warehouse.pool);
    const role = sql.identifier([LOAD_ROLE]);
    await warehouse.pool.query(sql.unsafe`GRANT USAGE ON SCHEMA public, pipeline TO ${role}`);
    await warehouse.pool.query(
      sql.unsafe`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public, pipeline TO ${role}`,
    );
    checks = await warehouseChecks(asRole(warehouse, LOAD_ROLE), '<url>');
    expect(byName(checks, 'warehouse migrations').status).toBe('OK');
    const rights = byName(checks, 'warehouse rights');
    expect(rights.status).toBe('FAIL');
    expect(rights.detail).toContain(`CREATE on database ${warehouse.name}`);
    expect(rights.detail).toContain('CREATE on schema pipeline');
    expect(rights.fix).toContain(`GRANT CREATE ON DATABASE "${warehouse.name}" TO "${LOAD_ROLE}";`);

    // Why: the load's migrate at a cold start fails for that role although nothing is pending.
    const load = await createDatabasePool(asRole(warehouse, LOAD_ROLE));
    try {
      await expect(migrateWarehouse(load)).rejects.toThrow(/permission denied for database/);
      await warehouse.pool.query(
        sql.unsafe`GRANT CREATE ON DATABASE ${sql.identifier([warehouse.name])} TO ${role}`,
      );
      await warehouse.pool.query(sql.unsafe`GRANT CREATE ON SCHEMA pipeline TO ${role}`);
      checks = await warehouseChecks(asRole(warehouse, LOAD_ROLE), '<url>');
      expect(checks.filter((c) => c.status !== 'OK')).toEqual([]);
      await expect(migrateWarehouse(load)).resolves.toMatchObject({ applied: [] });
    } finally {
      await load.end();
    }
  });
});
