/**
 * Large units: the fact tables' foreign keys are dropped and added back inside the unit's
 * transaction (services/lambdas/load/bulk-keys.ts). The warehouse must come out exactly as with
 * the per-row checks, with every key back under its name and definition, and a unit that breaks a
 * key must fail with the database's 23503 and leave everything, keys included, as it was. A role
 * that does not own the tables keeps the per-row checks.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { applyProcessedUnit } from '../../../services/lambdas/load/apply.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { freshWarehouses, type TestDatabase } from '../../support/database.ts';
import { dimensionsFor, dumpWarehouse, ledger, payment, salesOrder, transaction, unit } from './units.ts';

const V = '2024-02-29 10:00:00.123';
const NEXT = '2024-03-02 09:30:00.000';

/** A unit with `n` sales orders and `n` payments (each with its transaction). */
function largeUnit(key: string, n: number, version = V) {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const dims = dimensionsFor(version, ['2024-03-02']);
  return unit(
    key,
    {
      ...dims,
      dim_transaction: ids.map((id) => transaction(id, version, id)),
      fact_sales_order: ids.map((id) => salesOrder(id, version, id)),
      fact_payment: ids.map((id) => payment(id, version, id % 2 === 0)),
    },
    version,
  );
}

const KEYS = z.object({
  table: z.string(),
  name: z.string(),
  definition: z.string(),
  validated: z.boolean(),
});
async function foreignKeys(db: TestDatabase) {
  return db.pool.any(sql.type(KEYS)`
    SELECT conrelid::regclass::text AS "table", conname AS name, pg_get_constraintdef(oid) AS definition,
      convalidated AS validated
    FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2`);
}

/** Foreign-key constraint oids: a key dropped and added back gets a new one. */
const OIDS = z.object({ table: z.string(), oid: z.number() });
async function keyOids(db: TestDatabase) {
  return db.pool.any(sql.type(OIDS)`
    SELECT conrelid::regclass::text AS "table", oid::int8::float8 AS oid FROM pg_constraint WHERE contype = 'f'`);
}
type KeyOid = { table: string; oid: number };
/** The tables whose foreign keys were re-created between two readings. */
function recreatedTables(before: readonly KeyOid[], after: readonly KeyOid[]): string[] {
  const old = new Set(before.map((k) => k.oid));
  return [...new Set(after.filter((k) => !old.has(k.oid)).map((k) => k.table))].sort();
}

describe('set-based foreign-key checks for large units', () => {
  const fresh = freshWarehouses();

  it('gives the same warehouse as the per-row checks, with every key back as it was', async () => {
    const perRow = await fresh('bulk_reference');
    const bulk = await fresh('bulk_keys');
    const keysBefore = await foreignKeys(bulk);
    expect(keysBefore.length).toBeGreaterThan(10);

    const recreated: Record<string, string[][]> = {};
    for (const [db, bulkMinRows] of [
      [perRow, Number.MAX_SAFE_INTEGER],
      [bulk, 100],
    ] as const) {
      const before = await keyOids(db);
      await applyProcessedUnit(
        db.pool,
        largeUnit('units/2024/02/29/20240229T100500000Z-aaaa/manifest.json', 300),
        {
          bulkMinRows,
          chunkRows: 100,
          setBasedKeys: 'whole-table',
        },
      );
      const afterFirst = await keyOids(db);
      // A later, smaller unit into the now-full tables: a new version of some orders.
      await applyProcessedUnit(
        db.pool,
        unit(
          'units/2024/03/02/20240302T093500000Z-bbbb/manifest.json',
          {
            ...dimensionsFor(V, ['2024-03-02']),
            fact_sales_order: [salesOrder(1, NEXT, 999), salesOrder(2, NEXT, 998)],
          },
          NEXT,
        ),
        { bulkMinRows, setBasedKeys: 'whole-table' },
      );
      recreated[db.name] = [
        recreatedTables(before, afterFirst),
        recreatedTables(afterFirst, await keyOids(db)),
      ];
    }
    // The first unit (300 rows per fact table, into empty tables) took the set-based path: its
    // keys were re-created. The second (two rows, under the threshold) kept the per-row checks; with
    // an unreachable threshold nothing was re-created.
    expect(recreated[bulk.name]).toEqual([['fact_payment', 'fact_sales_order'], []]);
    expect(recreated[perRow.name]).toEqual([[], []]);
    expect(await dumpWarehouse(bulk.pool)).toEqual(await dumpWarehouse(perRow.pool));
    expect(await ledger(bulk.pool)).toEqual(await ledger(perRow.pool));
    expect(await foreignKeys(bulk)).toEqual(keysBefore);
    expect((await foreignKeys(bulk)).every((k) => k.validated)).toBe(true);
  });

  it('runs large and ordinary units side by side without a deadlock (each waits for the locks it needs)', async () => {
    const db = await fresh('bulk_side_by_side');
    for (let round = 0; round < 3; round++) {
      const version = `2024-02-2${round} 10:00:00.000`;
      const big = (part: number, first: number) => {
        const ids = Array.from({ length: 150 }, (_, i) => first + i);
        return unit(
          `units/2024/02/2${round}/part-${part}/manifest.json`,
          {
            ...dimensionsFor(version),
            dim_transaction: ids.map((id) => transaction(id, version, id)),
            fact_sales_order: ids.map((id) => salesOrder(id, version, id)),
            fact_payment: ids.map((id) => payment(id, version, true)),
          },
          version,
        );
      };
      const small = unit(`units/2024/02/2${round}/small/manifest.json`, {
        ...dimensionsFor(version),
        fact_sales_order: [salesOrder(10_000 + round, version)],
      });
      // No withRetry: a deadlock (40P01) would fail the test.
      const results = await Promise.all([
        applyProcessedUnit(db.pool, big(1, 1 + round * 1_000), { bulkMinRows: 100 }),
        applyProcessedUnit(db.pool, big(2, 501 + round * 1_000), { bulkMinRows: 100 }),
        applyProcessedUnit(db.pool, small, { bulkMinRows: 100 }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    }
    const count = z.object({ n: z.number() });
    expect(await db.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS n FROM fact_sales_order`)).toBe(
      3 * (300 + 1),
    );
    expect(await db.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS n FROM fact_payment`)).toBe(
      3 * 300,
    );
  });

  it("waits for another unit's locks past the pool's statement timeout (until COMMIT only)", async () => {
    const db = await fresh('bulk_lock_wait');
    const pool = await createDatabasePool(db.url, { statementTimeoutMs: 1_000 });
    // Another unit's transaction, on a plain connection of its own, holding a lock the large unit needs.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const WAITING = z.object({ waiting: z.boolean() });
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE fact_payment IN ACCESS SHARE MODE');
      const applying = applyProcessedUnit(pool, largeUnit('units/2024/02/29/wait/manifest.json', 200), {
        bulkMinRows: 100,
        setBasedKeys: 'whole-table',
      });
      applying.catch(() => {}); // observed below
      while (
        !(await db.pool.oneFirst(sql.type(WAITING)`
          SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'
            AND query LIKE '%LOCK TABLE%' AND datname = current_database()) AS waiting`))
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the scenario: held past 1 s
      await holder.query('COMMIT');
      await expect(applying).resolves.toMatchObject({ status: 'applied' });
      // The pool's own timeout is back after the unit's COMMIT.
      const setting = z.object({ t: z.string() });
      expect(await pool.oneFirst(sql.type(setting)`SELECT current_setting('statement_timeout') AS t`)).toBe(
        '1s',
      );
    } finally {
      await holder.end();
      await pool.end();
    }
  });

  it.each(['whole-table', 'auto'] as const)(
    'fails a large unit that breaks a key with 23503 and leaves rows, ledger and keys untouched (%s)',
    async (setBasedKeys) => {
      const db = await fresh(`bulk_violation_${setBasedKeys.replace('-', '_')}`);
      const keysBefore = await foreignKeys(db);
      const bad = largeUnit('units/2024/02/29/20240229T100500000Z-cccc/manifest.json', 50);
      const orders = bad.tables.fact_sales_order as ReturnType<typeof salesOrder>[];
      const broken = {
        ...bad,
        tables: { ...bad.tables, fact_sales_order: [...orders, { ...salesOrder(51, V), design_id: 999 }] },
      };
      const manifest = {
        ...bad.manifest,
        objects: bad.manifest.objects.map((o) =>
          o.table === 'fact_sales_order' ? { ...o, rows: o.rows + 1 } : o,
        ),
      };
      await expect(
        applyProcessedUnit(db.pool, { ...broken, manifest }, { bulkMinRows: 1, setBasedKeys }),
      ).rejects.toMatchObject({
        cause: expect.objectContaining({ code: '23503' }),
      });
      expect(await ledger(db.pool)).toEqual([]);
      expect(
        await db.pool.oneFirst(
          sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM fact_sales_order`,
        ),
      ).toBe(0);
      expect(
        await db.pool.oneFirst(
          sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM dim_staff`,
        ),
      ).toBe(0);
      expect(await foreignKeys(db)).toEqual(keysBefore);
    },
  );

  it('keeps the per-row checks for a role that does not own the tables (and still loads)', async () => {
    const db = await fresh('bulk_not_owner');
    const role = `load_writer_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await db.pool.query(
      sql.type(
        z.object({}),
      )`CREATE ROLE ${sql.identifier([role])} LOGIN PASSWORD ${sql.literalValue(password)}`,
    );
    for (const schema of ['public', 'pipeline']) {
      await db.pool.query(
        sql.type(
          z.object({}),
        )`GRANT USAGE ON SCHEMA ${sql.identifier([schema])} TO ${sql.identifier([role])}`,
      );
      await db.pool.query(sql.type(z.object({}))`
        GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ${sql.identifier([schema])} TO ${sql.identifier([role])}`);
      await db.pool.query(sql.type(z.object({}))`
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${sql.identifier([schema])} TO ${sql.identifier([role])}`);
    }
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    const writer = await createDatabasePool(url.toString());
    try {
      const keysBefore = await foreignKeys(db);
      const result = await applyProcessedUnit(
        writer,
        largeUnit('units/2024/02/29/20240229T100500000Z-dddd/manifest.json', 20),
        {
          bulkMinRows: 1,
        },
      );
      expect(result).toMatchObject({ status: 'applied', rows: { fact_sales_order: { inserted: 20 } } });
      expect(await foreignKeys(db)).toEqual(keysBefore);
    } finally {
      await writer.end();
      await db.pool.query(sql.type(z.object({}))`DROP OWNED BY ${sql.identifier([role])}`);
      await db.pool.query(sql.type(z.object({}))`DROP ROLE ${sql.identifier([role])}`);
    }
  });
});
