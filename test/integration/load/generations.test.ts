/**
 * The load's generation gate (services/lambdas/load/generations.ts) against real PostgreSQL: a
 * unit's later generation (a replay) replaces the earlier one's rows, an older or equal one
 * arriving later changes nothing, and applying every generation of every unit in ANY order gives
 * the warehouse that the newest generations alone give.
 */
import { sql } from 'slonik';
import {
  type ApplyResult,
  applyProcessedUnit,
  type ProcessedUnit,
} from '../../../services/lambdas/load/apply.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { design, dimensionsFor, dumpWarehouse, payment, salesOrder, unit } from './units.ts';

const A = 'units/2024/02/29/20240229T100500000Z-aaaa/manifest.json';
const B = 'units/2024/03/02/20240302T093500000Z-bbbb/manifest.json';
const OLD = '2024-02-29 10:00:00.123';
const NEW = '2024-03-02 09:30:00.000';

function generation(processed: ProcessedUnit, g: number): ProcessedUnit {
  return g === 1 ? processed : { ...processed, manifest: { ...processed.manifest, generation: g } };
}

/**
 * Unit A as a buggy transform wrote it: the design name upper-cased (same source version), the
 * sales order's last_updated_time without milliseconds (a wrong version key) and a payment that
 * does not exist in the source.
 */
const buggyA = () =>
  unit(
    A,
    {
      ...dimensionsFor(OLD),
      dim_design: [design(1, OLD, 'STEEL')],
      fact_sales_order: [salesOrder(1, '2024-02-29 10:00:00.000', 100, '25.70')],
      fact_payment: [payment(1, OLD, false)],
    },
    OLD,
  );
/** Unit A as today's code transforms it. */
const fixedA = () => unit(A, { ...dimensionsFor(OLD), fact_sales_order: [salesOrder(1, OLD)] }, OLD);
/** Unit B, later: a new design version and a new sales order version. */
const laterB = () =>
  unit(
    B,
    {
      ...dimensionsFor(OLD, ['2024-03-02']),
      dim_design: [design(1, NEW, 'Bronze')],
      fact_sales_order: [salesOrder(1, NEW, 250, '3.10')],
    },
    NEW,
  );

describe('load generations (replay)', () => {
  let db: TestDatabase;
  let expected: Awaited<ReturnType<typeof dumpWarehouse>>;
  const apply = (u: ProcessedUnit) => applyProcessedUnit(db.pool, u);
  const reset = () =>
    db.pool.query(sql.unsafe`TRUNCATE dim_date, dim_staff, dim_location, dim_currency, dim_design,
      dim_counterparty, dim_transaction, dim_payment_type, fact_sales_order, fact_purchase_order,
      fact_payment, pipeline.load_ledger, pipeline.dimension_version CASCADE`);
  const count = async (table: string) =>
    Number(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`));
  const ledgerGeneration = () =>
    db.pool.oneFirst(sql.unsafe`SELECT generation FROM pipeline.load_ledger WHERE unit_id = ${A}`);

  beforeAll(async () => {
    db = await createTestDatabase('load_generations');
    await migrateWarehouse(db.pool);
    // What the newest generations alone give: fixed A and B.
    await apply(generation(fixedA(), 2));
    await apply(laterB());
    expected = await dumpWarehouse(db.pool);
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(reset);

  it('a later generation replaces the wrongly loaded rows of the earlier one, even a wrong version key', async () => {
    expect((await apply(buggyA())).status).toBe('applied');
    expect(await db.pool.oneFirst(sql.unsafe`SELECT design_name FROM dim_design`)).toBe('STEEL');
    expect(await count('fact_payment')).toBe(1);

    const replaced = await apply(generation(fixedA(), 2));
    expect(replaced.status).toBe('applied');
    expect(await ledgerGeneration()).toBe(2);
    expect(await db.pool.oneFirst(sql.unsafe`SELECT design_name FROM dim_design`)).toBe('Steel');
    // The buggy version key is gone, the right one is there once; the invented payment is gone.
    expect(
      await db.pool.anyFirst(sql.unsafe`
        SELECT to_char(last_updated_time, 'HH24:MI:SS.MS') || ' ' || unit_price FROM fact_sales_order`),
    ).toEqual(['10:00:00.123 2.57']);
    expect(await count('fact_payment')).toBe(0);
    // The fact rows the replacing generation inserted are recorded for the next replay.
    expect(
      await db.pool.anyFirst(sql.unsafe`
        SELECT fact_table FROM pipeline.load_fact_rows WHERE unit_id = ${A} ORDER BY fact_table`),
    ).toEqual(['fact_sales_order']);
  });

  it('the same generation again, or an older one delivered late (a DLQ redrive of the original), changes nothing', async () => {
    await apply(buggyA());
    await apply(generation(fixedA(), 2));
    const after = await dumpWarehouse(db.pool);
    const again: ApplyResult = await apply(generation(fixedA(), 2));
    expect(again.status).toBe('already-applied');
    expect((await apply(buggyA())).status).toBe('already-applied');
    expect(await dumpWarehouse(db.pool)).toEqual(after);
    expect(await ledgerGeneration()).toBe(2);
  });

  it('a newer dimension version from a later unit still wins over a replay of an earlier unit', async () => {
    await apply(buggyA());
    await apply(laterB());
    await apply(generation(fixedA(), 2));
    expect(await db.pool.oneFirst(sql.unsafe`SELECT design_name FROM dim_design`)).toBe('Bronze');
    expect(await dumpWarehouse(db.pool)).toEqual(expected);
  });

  it('every order of applying A gen 1, A gen 2, A gen 3 and B gives the same warehouse', async () => {
    const units = [buggyA(), generation(fixedA(), 2), generation(fixedA(), 3), laterB()];
    const orders = permutations([0, 1, 2, 3]);
    expect(orders).toHaveLength(24);
    for (const order of orders) {
      await reset();
      for (const i of order) await apply(units[i]!);
      expect({ order, warehouse: await dumpWarehouse(db.pool) }).toEqual({ order, warehouse: expected });
      expect(await ledgerGeneration()).toBe(3);
    }
  });

  it('two generations of one unit loaded at the same time: the newer one is what stays, nothing doubled', async () => {
    for (const [first, second] of [
      [1, 2],
      [2, 3],
      [3, 2],
    ] as const) {
      await reset();
      const of = (g: number) => (g === 1 ? buggyA() : generation(fixedA(), g));
      if (first > 1) await apply(buggyA());
      const results = await Promise.all([apply(of(first)), apply(of(second))]);
      expect(results.map((r) => r.status)).toContain('applied');
      await apply(laterB());
      expect(await dumpWarehouse(db.pool)).toEqual(expected);
      expect(await ledgerGeneration()).toBe(Math.max(first, second));
    }
  });
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}
