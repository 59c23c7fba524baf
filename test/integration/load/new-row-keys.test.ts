/**
 * Large units whose keys are checked for their new rows only, with the keys left in force
 * (services/lambdas/load/new-row-keys.ts). The warehouse must come out exactly as with the per-row
 * checks, no key is touched (same constraint oids), no exclusive table lock is taken (parts run
 * side by side), a row that breaks a key fails the unit with the database's own 23503 and rolls
 * everything back, and the session never leaves the transaction in `replica` mode.
 */
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { applyProcessedUnit } from '../../../services/lambdas/load/apply.ts';
import { freshWarehouses, type TestDatabase } from '../../support/database.ts';
import { dimensionsFor, dumpWarehouse, ledger, payment, salesOrder, transaction, unit } from './units.ts';

const V = '2024-02-29 10:00:00.123';

/** Part `part` of a split first load: `n` sales orders and payments from id `first`, every dimension. */
function part(part: number, first: number, n: number) {
  const ids = Array.from({ length: n }, (_, i) => first + i);
  return unit(
    `units/2024/02/29/20240229T100500000Z-aaaa/part-${String(part).padStart(4, '0')}/manifest.json`,
    {
      ...dimensionsFor(V, ['2024-03-02']),
      dim_transaction: ids.map((id) => transaction(id, V, id)),
      fact_sales_order: ids.map((id) => salesOrder(id, V, id)),
      fact_payment: ids.map((id) => payment(id, V, id % 2 === 0)),
    },
    V,
  );
}

const KEYS = z.object({ oid: z.number(), definition: z.string(), validated: z.boolean() });
async function foreignKeys(db: TestDatabase) {
  return db.pool.any(sql.type(KEYS)`
    SELECT oid::int8::float8 AS oid, pg_get_constraintdef(oid) AS definition, convalidated AS validated
    FROM pg_constraint WHERE contype = 'f' ORDER BY oid`);
}
const count = (db: TestDatabase, table: 'fact_sales_order' | 'dim_staff') =>
  db.pool.oneFirst(
    sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM ${sql.identifier([table])}`,
  );
const ROLE = z.object({ role: z.string() });

describe('set-based foreign-key checks of the new rows only (keys in force)', () => {
  const fresh = freshWarehouses();

  it('loads the parts of a split unit in any order, side by side, into the warehouse the per-row checks give, keys untouched', async () => {
    const perRow = await fresh('new_rows_reference');
    const newRows = await fresh('new_rows');
    const keysBefore = await foreignKeys(newRows);
    const parts = [part(1, 1, 200), part(2, 201, 200), part(3, 401, 200)];
    for (const p of parts) await applyProcessedUnit(perRow.pool, p, { bulkMinRows: Number.MAX_SAFE_INTEGER });
    // Last part first, then the other two at once (no withRetry: a deadlock would fail the test).
    await applyProcessedUnit(newRows.pool, parts[2]!, { bulkMinRows: 100 });
    const results = await Promise.all([
      applyProcessedUnit(newRows.pool, parts[1]!, { bulkMinRows: 100 }),
      applyProcessedUnit(newRows.pool, parts[0]!, { bulkMinRows: 100 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(await dumpWarehouse(newRows.pool)).toEqual(await dumpWarehouse(perRow.pool));
    // (The ledger's dimension counts differ by order: whichever part came first inserted them.)
    expect(await ledger(newRows.pool)).toHaveLength(3);
    // Same constraints (same oids: never dropped), all validated.
    expect(await foreignKeys(newRows)).toEqual(keysBefore);
    expect(keysBefore.every((k) => k.validated)).toBe(true);
    expect(
      await newRows.pool.oneFirst(sql.type(ROLE)`SELECT current_setting('session_replication_role') AS role`),
    ).toBe('origin');
  });

  it('takes no exclusive lock: it loads while another transaction reads the fact tables', async () => {
    const db = await fresh('new_rows_no_lock');
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('LOCK TABLE fact_sales_order, fact_payment, dim_staff IN ACCESS SHARE MODE');
      // With the reader's locks held to the end, the unit could not finish if it needed more than
      // the inserts' own ROW EXCLUSIVE locks (the whole-table path waits here: bulk-keys.test.ts).
      await expect(applyProcessedUnit(db.pool, part(1, 1, 150), { bulkMinRows: 100 })).resolves.toMatchObject(
        {
          status: 'applied',
          rows: { fact_sales_order: { inserted: 150 }, fact_payment: { inserted: 150 } },
        },
      );
    } finally {
      await reader.query('COMMIT');
      await reader.end();
    }
  });

  it.each([
    ['a dimension the unit does not carry', { design_id: 999 }],
    ['a date outside dim_date', { agreed_delivery_date: '1999-01-01' }],
  ])(
    'fails a unit with a row that references %s with 23503 and rolls everything back',
    async (_label, change) => {
      const db = await fresh('new_rows_violation');
      const keysBefore = await foreignKeys(db);
      const good = part(1, 1, 120);
      const orders = good.tables.fact_sales_order as ReturnType<typeof salesOrder>[];
      const manifest = {
        ...good.manifest,
        objects: good.manifest.objects.map((o) =>
          o.table === 'fact_sales_order' ? { ...o, rows: o.rows + 1 } : o,
        ),
      };
      const broken = {
        manifest,
        tables: { ...good.tables, fact_sales_order: [...orders, { ...salesOrder(121, V), ...change }] },
      };
      await expect(applyProcessedUnit(db.pool, broken, { bulkMinRows: 100 })).rejects.toMatchObject({
        cause: expect.objectContaining({ code: '23503' }),
      });
      expect(await ledger(db.pool)).toEqual([]);
      expect(await count(db, 'fact_sales_order')).toBe(0);
      expect(await count(db, 'dim_staff')).toBe(0);
      expect(await foreignKeys(db)).toEqual(keysBefore);
      expect(
        await db.pool.oneFirst(sql.type(ROLE)`SELECT current_setting('session_replication_role') AS role`),
      ).toBe('origin');
      // The same unit without the bad row loads afterwards.
      await expect(applyProcessedUnit(db.pool, good, { bulkMinRows: 100 })).resolves.toMatchObject({
        status: 'applied',
      });
    },
  );

  it('leaves the keys in force: deleting a dimension row the new rows reference still fails', async () => {
    const db = await fresh('new_rows_in_force');
    await applyProcessedUnit(db.pool, part(1, 1, 150), { bulkMinRows: 100 });
    const deleter = new pg.Client({ connectionString: db.url });
    await deleter.connect();
    try {
      await expect(deleter.query('DELETE FROM dim_design WHERE design_id = 1')).rejects.toMatchObject({
        code: '23503',
      });
    } finally {
      await deleter.end();
    }
  });

  it('never skips a trigger of the table its own: such a table keeps the per-row checks', async () => {
    const db = await fresh('new_rows_user_trigger');
    const noRows = sql.type(z.object({}));
    await db.pool.query(noRows`CREATE TABLE seen (id int)`);
    await db.pool.query(noRows`
      CREATE FUNCTION note_order() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO seen VALUES (NEW.sales_order_id); RETURN NEW; END $$`);
    await db.pool.query(noRows`
      CREATE TRIGGER note_order AFTER INSERT ON fact_sales_order FOR EACH ROW EXECUTE FUNCTION note_order()`);
    await applyProcessedUnit(db.pool, part(1, 1, 150), { bulkMinRows: 100 });
    expect(
      await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM seen`),
    ).toBe(150);
  });
});
