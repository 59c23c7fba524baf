import { sql } from 'slonik';
import { applyProcessedUnit } from '../../../services/lambdas/load/apply.ts';
import { BadUnitError, PermanentLoadError, withRetry } from '../../../services/lambdas/load/errors.ts';
import { LOAD_TABLES } from '../../../services/lambdas/load/tables.ts';
import { WAREHOUSE_TABLES } from '../../../shared/schema/warehouse.ts';
import { newestLoadedSourceUpdate } from '../../../shared/state/freshness.ts';
import { freshWarehouses } from '../../support/database.ts';
import {
  counterparty,
  dimensionsFor,
  dumpWarehouse,
  ledger,
  location,
  payment,
  salesOrder,
  staff,
  unit,
} from './units.ts';

const OLD = '2024-02-29 10:00:00.123';
const NEW = '2024-03-02 09:30:00.000';

/** The first unit: everything created; the second: an address, a department and an order change. */
function firstUnit() {
  return unit(
    'units/2024/02/29/20240229T100500000Z-aaaa/manifest.json',
    {
      ...dimensionsFor(OLD),
      fact_sales_order: [salesOrder(1, OLD)],
      fact_payment: [payment(1, OLD, false)],
    },
    OLD,
  );
}

function secondUnit() {
  const dims = dimensionsFor(OLD, ['2024-03-02']);
  return unit(
    'units/2024/03/02/20240302T093500000Z-bbbb/manifest.json',
    {
      ...dims,
      dim_staff: [staff(1, NEW, 'Purchasing'), staff(2, NEW)],
      dim_location: [location(1, NEW, 'Leeds')],
      dim_counterparty: [counterparty(1, NEW, 'Leeds')],
      fact_sales_order: [salesOrder(1, NEW, 250, '3.10')],
      fact_payment: [payment(1, NEW, true)],
    },
    NEW,
  );
}

describe('applyProcessedUnit', () => {
  const fresh = freshWarehouses();

  it('carries exactly the warehouse columns (facts without their surrogate key)', async () => {
    const db = await fresh('load_columns');
    for (const table of WAREHOUSE_TABLES) {
      const columns = await db.pool.anyFirst(sql.unsafe`
        SELECT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ${table}
          AND coalesce(column_default, '') NOT LIKE 'nextval(%'
        ORDER BY ordinal_position`);
      const spec = LOAD_TABLES[table].columns.map((c) => c.name).filter((c) => c !== 'source_version');
      expect([...columns]).toEqual(spec);
    }
  });

  it('applies a unit once; the same unit again changes nothing and says already-applied', async () => {
    const db = await fresh('load_twice');
    const first = await applyProcessedUnit(db.pool, firstUnit());
    expect(first).toMatchObject({
      status: 'applied',
      newestSourceUpdate: OLD,
      rows: {
        dim_date: { received: 3, inserted: 3, updated: 0 },
        dim_transaction: { received: 2, inserted: 2, updated: 0 },
        fact_sales_order: { received: 1, inserted: 1, updated: 0 },
      },
    });
    const before = await dumpWarehouse(db.pool);
    const ledgerBefore = await ledger(db.pool);
    expect(before.fact_sales_order).toHaveLength(1);
    expect(before.dim_staff).toEqual([
      {
        staff_id: 1,
        first_name: 'Jeremie',
        last_name: "O'Keefe",
        department_name: 'Sales',
        location: 'Manchester',
        email_address: "jeremie.o'keefe1@terrifictotes.com",
      },
    ]);
    expect(before.fact_sales_order?.[0]).toEqual({
      row: expect.objectContaining({ unit_price: 2.57, created_time: '10:00:00.123', units_sold: 100 }),
    });

    const again = await applyProcessedUnit(db.pool, firstUnit());
    expect(again).toEqual({ status: 'already-applied', unitId: firstUnit().manifest.unitId });
    expect(await dumpWarehouse(db.pool)).toEqual(before);
    expect(await ledger(db.pool)).toEqual(ledgerBefore);
  });

  it('keeps money and times exact', async () => {
    const db = await fresh('load_exact');
    await applyProcessedUnit(
      db.pool,
      unit('u/exact/manifest.json', {
        ...dimensionsFor(OLD),
        fact_payment: [payment(1, '2024-02-29 23:59:59.999', false, '12345678901234.29')],
      }),
    );
    const row = await db.pool.one(
      sql.unsafe`SELECT payment_amount, last_updated_time, paid FROM fact_payment`,
    );
    expect(row).toEqual({
      payment_amount: '12345678901234.29',
      last_updated_time: '23:59:59.999',
      paid: false,
    });
  });

  it('keeps text exact: quotes, backslashes, commas, braces, blanks, the word NULL and nulls', async () => {
    const db = await fresh('load_text');
    const tricky = [
      `O'Keefe "the" \\ Younger, {Ltd}`,
      '',
      '  padded  ',
      'NULL',
      'tab\tand\nnewline',
      'Zürich – 東京',
    ];
    const locations = tricky.map((city, i) => ({
      ...location(i + 1, OLD, city),
      address_line_2: i % 2 ? null : city,
    }));
    await applyProcessedUnit(
      db.pool,
      unit('u/text/manifest.json', { ...dimensionsFor(OLD), dim_location: locations }),
    );
    const rows = await db.pool.any(
      sql.unsafe`SELECT city, address_line_2 FROM dim_location ORDER BY location_id`,
    );
    expect(rows).toEqual(tricky.map((city, i) => ({ city, address_line_2: i % 2 ? null : city })));
  });

  it('gives the same warehouse whatever order the units arrive in; older never overwrites newer', async () => {
    const inOrder = await fresh('load_in_order');
    const reversed = await fresh('load_reversed');
    await applyProcessedUnit(inOrder.pool, firstUnit());
    await applyProcessedUnit(inOrder.pool, secondUnit());
    const late = await applyProcessedUnit(reversed.pool, secondUnit());
    const early = await applyProcessedUnit(reversed.pool, firstUnit());
    expect(late.status).toBe('applied');
    // The older unit's dimension rows lose against the newer versions already present.
    expect(early).toMatchObject({
      status: 'applied',
      rows: { dim_staff: { received: 1, inserted: 0, updated: 0 }, fact_sales_order: { inserted: 1 } },
    });

    const a = await dumpWarehouse(inOrder.pool);
    const b = await dumpWarehouse(reversed.pool);
    expect(b).toEqual(a);
    expect(a.dim_staff).toEqual([
      expect.objectContaining({ staff_id: 1, department_name: 'Purchasing' }),
      expect.objectContaining({ staff_id: 2 }),
    ]);
    expect(a.dim_location).toEqual([expect.objectContaining({ city: 'Leeds' })]);
    expect(a.dim_counterparty).toEqual([expect.objectContaining({ counterparty_legal_city: 'Leeds' })]);
    expect(a.fact_sales_order).toHaveLength(2);
    expect(a.fact_payment?.map((r) => (r as { row: { paid: boolean } }).row.paid)).toEqual([false, true]);
    expect(await newestLoadedSourceUpdate(inOrder.pool)).toBe('2024-03-02 09:30:00.000');
    expect(await newestLoadedSourceUpdate(reversed.pool)).toBe('2024-03-02 09:30:00.000');
  });

  it('keeps the current row on a tie (same source version arriving again in another unit)', async () => {
    const db = await fresh('load_tie');
    await applyProcessedUnit(db.pool, unit('u/tie-1/manifest.json', { dim_staff: [staff(1, OLD, 'Sales')] }));
    const second = await applyProcessedUnit(
      db.pool,
      unit('u/tie-2/manifest.json', { dim_staff: [staff(1, OLD, 'Changed without a new version')] }),
    );
    expect(second).toMatchObject({ rows: { dim_staff: { inserted: 0, updated: 0 } } });
    expect(await db.pool.oneFirst(sql.unsafe`SELECT department_name FROM dim_staff`)).toBe('Sales');
  });

  it('re-applies unchanged dimension rows without locking them (loads sharing dimensions run side by side)', async () => {
    const db = await fresh('load_no_lock_on_unchanged');
    await applyProcessedUnit(db.pool, firstUnit());
    // Another load holds every version row (as a concurrent part of a split unit would while it
    // runs). A unit carrying the same dimension versions and a new fact version must not wait for
    // it: before the lock-free filter, this apply blocked until the holder ended, which here it
    // never does on its own (the test failed when the holder's idle-in-transaction timeout hit).
    const applied = await db.pool.transaction(async (holder) => {
      await holder.query(sql.unsafe`SELECT 1 FROM pipeline.dimension_version FOR UPDATE`);
      return applyProcessedUnit(
        db.pool,
        unit('units/2024/03/02/20240302T093500000Z-dddd/manifest.json', {
          ...dimensionsFor(OLD, ['2024-03-02']),
          fact_sales_order: [salesOrder(1, NEW, 250)],
        }),
      );
    });
    expect(applied).toMatchObject({
      status: 'applied',
      rows: { dim_staff: { inserted: 0, updated: 0 }, fact_sales_order: { received: 1, inserted: 1 } },
    });
    // A newer version still goes through the locked upsert and wins.
    await applyProcessedUnit(
      db.pool,
      unit('u/newer-staff/manifest.json', { dim_staff: [staff(1, NEW, 'Purchasing')] }),
    );
    expect(await db.pool.oneFirst(sql.unsafe`SELECT department_name FROM dim_staff WHERE staff_id = 1`)).toBe(
      'Purchasing',
    );
  });

  it('stores one fact version once although two units carry it', async () => {
    const db = await fresh('load_fact_once');
    await applyProcessedUnit(db.pool, firstUnit());
    const overlapping = unit('units/2024/03/02/20240302T093500000Z-cccc/manifest.json', {
      ...dimensionsFor(OLD, ['2024-03-02']),
      // The same version as the first unit (a re-extract overlapping its window), and a new one.
      fact_sales_order: [salesOrder(1, OLD), salesOrder(1, NEW, 250), salesOrder(1, NEW, 250)],
    });
    const result = await applyProcessedUnit(db.pool, overlapping);
    expect(result).toMatchObject({
      status: 'applied',
      rows: { fact_sales_order: { received: 3, inserted: 1 } },
    });
    const versions = await db.pool.any(sql.unsafe`
      SELECT sales_order_id, last_updated_date, last_updated_time, count(*) AS n
      FROM fact_sales_order GROUP BY 1, 2, 3 ORDER BY 2, 3`);
    expect(versions).toEqual([
      { sales_order_id: 1, last_updated_date: '2024-02-29', last_updated_time: '10:00:00.123', n: 1 },
      { sales_order_id: 1, last_updated_date: '2024-03-02', last_updated_time: '09:30:00', n: 1 },
    ]);
  });

  it('after a crash between commit and idempotency completion, the redelivery changes nothing', async () => {
    const db = await fresh('load_crash');
    // Attempt 1 commits, then the container dies before the consumer marks the record COMPLETED:
    // DynamoDB still says IN_PROGRESS (later expired), so SQS redelivers and the record runs again.
    const delivered = firstUnit();
    await withRetry(delivered.manifest.unitId, () => applyProcessedUnit(db.pool, delivered));
    const committed = await dumpWarehouse(db.pool);
    const committedLedger = await ledger(db.pool);
    // The redelivery rebuilds the unit from the (immutable) processed objects.
    const redelivery = await withRetry(delivered.manifest.unitId, () =>
      applyProcessedUnit(db.pool, firstUnit()),
    );
    expect(redelivery.status).toBe('already-applied');
    expect(await dumpWarehouse(db.pool)).toEqual(committed);
    expect(await ledger(db.pool)).toEqual(committedLedger);
  });

  it('fails a unit that violates a constraint with the database message and leaves the warehouse untouched', async () => {
    const db = await fresh('load_constraint');
    await db.pool.query(
      sql.unsafe`ALTER TABLE fact_sales_order ADD CONSTRAINT units_sold_positive CHECK (units_sold > 0)`,
    );
    const bad = unit('u/bad/manifest.json', {
      ...dimensionsFor(OLD),
      fact_sales_order: [salesOrder(1, OLD), salesOrder(2, OLD, -5)],
    });
    const empty = await dumpWarehouse(db.pool);
    const attempts: number[] = [];
    const failure = await withRetry(bad.manifest.unitId, () => {
      attempts.push(attempts.length + 1);
      return applyProcessedUnit(db.pool, bad);
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PermanentLoadError);
    expect((failure as Error).name).toBe('PermanentLoadError');
    expect((failure as Error).message).toMatch(
      /^load of u\/bad\/manifest\.json failed \(permanent\) \[SQLSTATE 23514\]: new row for relation "fact_sales_order" violates check constraint "units_sold_positive"/,
    );
    expect((failure as Error).message).toContain('(Failing row contains (2, ');
    expect(attempts).toEqual([1]); // permanent: not retried
    expect(await ledger(db.pool)).toEqual([]);
    expect(await dumpWarehouse(db.pool)).toEqual(empty);
  });

  it('refuses a bad unit (missing column, wrong type, count mismatch) before anything is written', async () => {
    const db = await fresh('load_bad_unit');
    const { sales_order_id: _, ...noId } = salesOrder(1, OLD) as Record<string, unknown>;
    const cases = [
      [
        unit('u/missing/manifest.json', { ...dimensionsFor(OLD), fact_sales_order: [noId] }),
        /sales_order_id is missing/,
      ],
      [
        unit('u/float/manifest.json', {
          ...dimensionsFor(OLD),
          fact_sales_order: [{ ...salesOrder(1, OLD), unit_price: 2.57 }],
        }),
        /unit_price = 2.57 is not a decimal/,
      ],
      [
        unit('u/extra/manifest.json', {
          ...dimensionsFor(OLD),
          fact_payment: [{ ...payment(1, OLD, true), company_ac_number: 1 }],
        }),
        /unknown column\(s\) company_ac_number/,
      ],
    ] as const;
    for (const [bad, message] of cases) {
      await expect(applyProcessedUnit(db.pool, bad)).rejects.toThrow(message);
      await expect(applyProcessedUnit(db.pool, bad)).rejects.toBeInstanceOf(BadUnitError);
    }
    // Named by its place in the table, also when it is staged while an earlier chunk merges.
    const laterRow = unit('u/later/manifest.json', {
      ...dimensionsFor(OLD),
      fact_sales_order: [1, 2, 3, 4, 5, 6, 7].map((id) =>
        id === 6 ? { ...salesOrder(id, OLD), units_sold: 'six' } : salesOrder(id, OLD),
      ),
    });
    await expect(applyProcessedUnit(db.pool, laterRow, { chunkRows: 2 })).rejects.toThrow(
      /fact_sales_order row 5: units_sold = "six" is not a int/,
    );
    // A row held back (its staff row withheld by the unit, absent from the warehouse) is checked
    // too, and named by its place in the table as well (rows 0-1 are staged, 2-4 held).
    const withheldStaff = unit('u/held/manifest.json', {
      ...dimensionsFor(OLD),
      dim_staff: [staff(2, OLD)],
      fact_sales_order: [1, 2, 3, 4, 5].map((id) => ({
        ...salesOrder(id, OLD),
        ...(id <= 2 ? { sales_staff_id: 2 } : {}),
        ...(id === 4 ? { units_sold: 'four' } : {}),
      })),
    });
    const heldUnit = {
      ...withheldStaff,
      manifest: {
        ...withheldStaff.manifest,
        held: [
          {
            table: 'staff' as const,
            id: 1,
            lastUpdated: OLD,
            object: 'units/u/held/staff.0001.json',
            errorClass: 'SourceValueError',
            reason: 'email_address is not text',
            row: { staff_id: 1 },
            withholds: [{ table: 'dim_staff' as const, id: 1 }],
          },
        ],
      },
    };
    await expect(applyProcessedUnit(db.pool, heldUnit, { chunkRows: 2 })).rejects.toThrow(
      /fact_sales_order row 3: units_sold = "four" is not a int/,
    );
    const short = unit('u/short/manifest.json', dimensionsFor(OLD));
    const lying = {
      ...short,
      manifest: {
        ...short.manifest,
        objects: short.manifest.objects.map((o) => (o.table === 'dim_staff' ? { ...o, rows: 2 } : o)),
      },
    };
    await expect(applyProcessedUnit(db.pool, lying)).rejects.toThrow(
      /dim_staff has 1 rows, the manifest lists 2/,
    );
    expect(await ledger(db.pool)).toEqual([]);
    expect(await db.pool.oneFirst(sql.unsafe`SELECT count(*) FROM dim_date`)).toBe(0);
  });

  it('serialises two concurrent loads of one dimension id: the newer version wins either way', async () => {
    const db = await fresh('load_concurrent');
    for (let round = 0; round < 5; round++) {
      const older = `2024-0${round + 1}-01 00:00:00.000`;
      const newer = `2024-0${round + 1}-02 00:00:00.000`;
      await Promise.all([
        withRetry('old', () =>
          applyProcessedUnit(
            db.pool,
            unit(`u/c${round}-old/manifest.json`, {
              dim_staff: [staff(1, older, `old ${round}`), staff(2, older, `old ${round}`)],
            }),
          ),
        ),
        withRetry('new', () =>
          applyProcessedUnit(
            db.pool,
            unit(`u/c${round}-new/manifest.json`, {
              dim_staff: [staff(2, newer, `new ${round}`), staff(1, newer, `new ${round}`)],
            }),
          ),
        ),
      ]);
      expect(
        await db.pool.anyFirst(sql.unsafe`SELECT department_name FROM dim_staff ORDER BY staff_id`),
      ).toEqual([`new ${round}`, `new ${round}`]);
    }
  });

  it('stages large tables in chunks', async () => {
    const db = await fresh('load_chunks');
    const orders = Array.from({ length: 2_500 }, (_, i) => salesOrder(i + 1, OLD, i + 1));
    // Batches of 700 (as the lake's Parquet slices arrive), re-cut into chunks of 1,000.
    async function* stream() {
      for (let i = 0; i < orders.length; i += 700) yield orders.slice(i, i + 700);
    }
    const big = unit('u/big/manifest.json', { ...dimensionsFor(OLD), fact_sales_order: orders });
    const result = await applyProcessedUnit(
      db.pool,
      { ...big, tables: { ...big.tables, fact_sales_order: stream() } },
      { chunkRows: 1_000 },
    );
    expect(result).toMatchObject({ rows: { fact_sales_order: { received: 2_500, inserted: 2_500 } } });
    expect(await db.pool.oneFirst(sql.unsafe`SELECT sum(units_sold) FROM fact_sales_order`)).toBe(
      (2_500 * 2_501) / 2,
    );
  });
});
