import { Logger } from '@aws-lambda-powertools/logger';
import { sql } from 'slonik';
import {
  type ExtractDeps,
  type ExtractResult,
  runExtract,
} from '../../../services/lambdas/extract/run-extract.ts';
import { SOURCE_TABLE_NAMES } from '../../../shared/schema/totesys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { holdTransaction } from '../../support/held-transaction.ts';
import { UTC_NOW } from '../../support/late-writer.ts';
import {
  createSource,
  ids,
  type LocalAws,
  listKeys,
  readUnit,
  seedFixture,
  sourceCounts,
  startAws,
  stateItem,
  stateItems,
} from './support.ts';

const silent = new Logger({ logLevel: 'SILENT' });

function extracted(result: ExtractResult) {
  if (result.status !== 'extracted') throw new Error(`expected a unit, got ${result.status}`);
  return result;
}

describe('extract run against embedded PostgreSQL, fauxqs S3 and dynalite', () => {
  let db: TestDatabase;
  let aws: LocalAws;
  let deps: ExtractDeps;

  beforeEach(async () => {
    db = await createTestDatabase('extract');
    aws = await startAws();
    await createSource(db.pool);
    await seedFixture(db.pool);
    deps = {
      pool: db.pool,
      s3: aws.s3,
      dynamo: aws.dynamo,
      bucket: aws.bucket,
      stateTable: aws.stateTable,
      logger: silent,
    };
  });
  afterEach(async () => {
    await aws.stop();
    await db.drop();
  });

  it('first run extracts every row of the eleven tables, losslessly, manifest last', async () => {
    const result = extracted(await runExtract(deps));
    const unit = await readUnit(aws, result.manifestKey);
    const counts = await sourceCounts(db.pool);
    for (const table of SOURCE_TABLE_NAMES) {
      expect([table, unit.tables.get(table)?.length ?? 0]).toEqual([table, counts[table]]);
      expect([table, unit.manifest.changedRows[table]]).toEqual([table, counts[table]]);
    }
    expect(result.changedRows).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    // Nothing but the eleven tables (no _prisma_migrations).
    expect(new Set(unit.objects.map((o) => o.table))).toEqual(new Set(SOURCE_TABLE_NAMES));
    // Values: numeric as decimal text, timestamps with 3 fraction digits, nulls, apostrophes.
    const staff = unit.tables.get('staff')!.find((r) => r.staff_id === 1)!;
    expect(staff).toMatchObject({
      last_name: "O'Keefe",
      department_id: 1,
      created_at: '2022-11-03 14:20:49.962',
    });
    const sale = unit.tables.get('sales_order')!.find((r) => r.sales_order_id === 1)!;
    expect(sale).toMatchObject({ unit_price: '2.43', units_sold: 84754, agreed_delivery_date: '2022-11-10' });
    const address = unit.tables.get('address')!.find((r) => r.address_id === 2)!;
    expect(address).toMatchObject({ postal_code: '09123-7380', district: null });
    const payment = unit.tables.get('payment')!.find((r) => r.payment_id === 2)!;
    expect(payment).toMatchObject({ paid: true, payment_amount: '134075.69' });
    expect(unit.tables.get('counterparty')!.map((r) => r.counterparty_legal_name)).toContain(
      'Leannon, Predovic and Morar',
    );
    // Run id in the manifest and every object's metadata; keys under the run's prefix.
    expect(unit.manifest.runId).toBe(result.runId);
    for (const meta of unit.metadata) expect(meta['run-id']).toBe(result.runId);
    const keys = await listKeys(aws);
    expect(keys).toEqual([...unit.manifest.objects.map((o) => o.key), result.manifestKey].sort());
    expect(unit.manifest.windows.sales_order).toEqual({ from: null, to: result.extractedAt });
    // Watermarks, run record, heartbeat.
    expect((await stateItems(aws, 'WATERMARK')).map((i) => i.sk).sort()).toEqual(
      [...SOURCE_TABLE_NAMES].sort(),
    );
    expect(await stateItem(aws, 'RUN', result.runId)).toMatchObject({
      status: 'extracted',
      changedRows: result.changedRows,
    });
    expect(await stateItem(aws, 'HEARTBEAT', 'extract')).toMatchObject({ runId: result.runId });
    expect(await stateItem(aws, 'LEASE', 'extract')).toBeUndefined();
  });

  it('a second run with no change writes nothing but records a heartbeat', async () => {
    extracted(await runExtract(deps));
    const before = await listKeys(aws);
    const second = await runExtract(deps);
    expect(second.status).toBe('unchanged');
    expect(await listKeys(aws)).toEqual(before);
    expect(await stateItem(aws, 'HEARTBEAT', 'extract')).toMatchObject({ runId: second.runId, rows: 0 });
    expect(await stateItem(aws, 'RUN', second.runId)).toMatchObject({ status: 'unchanged', changedRows: 0 });
  });

  it('after changes, the next run carries exactly the changed rows plus their join partners', async () => {
    extracted(await runExtract(deps));
    // Changes stamped by the database clock, as the application does.
    await db.pool.query(
      sql.unsafe`UPDATE address SET phone = '0161 000000', last_updated = ${UTC_NOW} WHERE address_id = 1`,
    );
    await db.pool.query(
      sql.unsafe`UPDATE department SET manager = 'Shelley Levene', last_updated = ${UTC_NOW} WHERE department_id = 1`,
    );
    await db.pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
        VALUES (${UTC_NOW}, ${UTC_NOW}, 1, 3, 2, 1000, 3.10, 3, '2026-12-01', '2026-12-02', 4)`);
      await tx.query(
        sql.unsafe`INSERT INTO "transaction" (transaction_type, sales_order_id, purchase_order_id, created_at, last_updated) VALUES ('SALE', 3, NULL, ${UTC_NOW}, ${UTC_NOW})`,
      );
      await tx.query(sql.unsafe`INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
        VALUES (${UTC_NOW}, ${UTC_NOW}, 4, 2, 3100.00, 3, 1, false, '2026-12-02', 12345678, 87654321)`);
    });

    const result = extracted(await runExtract(deps));
    expect(result.manifest.changedRows).toEqual({
      address: 1,
      department: 1,
      sales_order: 1,
      transaction: 1,
      payment: 1,
    });
    const unit = await readUnit(aws, result.manifestKey);
    // address 1 changed; 2 = counterparty 2's legal address; 4 = the sale's delivery location.
    expect(ids(unit, 'address')).toEqual([1, 2, 4]);
    // 1 and 3 use the changed address; 2 is the sale's and the payment's counterparty.
    expect(ids(unit, 'counterparty')).toEqual([1, 2, 3]);
    expect(ids(unit, 'department')).toEqual([1, 2]); // 1 changed; 2 = staff 3's department
    expect(ids(unit, 'staff')).toEqual([1, 3]); // 1 works in the changed department; 3 made the sale
    expect(ids(unit, 'design')).toEqual([1]);
    expect(ids(unit, 'currency')).toEqual([3]);
    expect(ids(unit, 'payment_type')).toEqual([1]);
    expect(ids(unit, 'sales_order')).toEqual([3]);
    expect(ids(unit, 'transaction')).toEqual([4]);
    expect(ids(unit, 'payment')).toEqual([4]);
    expect(ids(unit, 'purchase_order')).toEqual([]);
    expect(unit.tables.get('address')!.find((r) => r.address_id === 1)!.phone).toBe('0161 000000');
    expect(result.rows).toBe(16);

    // Those changes are now inside the re-read window (safety margin): the next run still emits nothing.
    const again = await runExtract(deps);
    expect(again.status).toBe('unchanged');
  });

  it('LATE COMMIT: a row of a transaction open during a run, overtaken by a later commit, is in the next unit', async () => {
    extracted(await runExtract(deps, { safetyMarginMs: 0 }));
    // A writer stamps its row with its transaction's now() and stays open…
    const late = await holdTransaction(db.pool, (tx) =>
      tx.query(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
        VALUES (${UTC_NOW}, ${UTC_NOW}, 'Granite', '/late', 'granite-late.json')`),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    // …while a later row commits, with a newer last_updated.
    await db.pool.query(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
      VALUES (${UTC_NOW}, ${UTC_NOW}, 'Steel', '/early', 'steel-early.json')`);
    const lateStamp = String(
      await db.pool.oneFirst(
        sql.unsafe`SELECT to_char(max(last_updated), 'YYYY-MM-DD HH24:MI:SS.MS') FROM design WHERE file_location = '/early'`,
      ),
    );

    // The run sees the later row only; margin 0, so only the commit horizon protects the late row.
    const during = extracted(await runExtract(deps, { safetyMarginMs: 0 }));
    const duringUnit = await readUnit(aws, during.manifestKey);
    expect(duringUnit.tables.get('design')!.map((r) => r.file_location)).toEqual(['/early']);
    const mark = await stateItem(aws, 'WATERMARK', 'design');
    expect(String(mark!.watermark) < lateStamp).toBe(true); // held back by the open transaction

    await late.commit();
    const after = extracted(await runExtract(deps, { safetyMarginMs: 0 }));
    const afterUnit = await readUnit(aws, after.manifestKey);
    // The late row arrives; the already-delivered later row is not emitted again.
    expect(afterUnit.tables.get('design')!.map((r) => r.file_location)).toEqual(['/late']);
    expect(after.manifest.changedRows).toEqual({ design: 1 });
  });

  it('the safety margin catches a late row stamped earlier than its own transaction began', async () => {
    extracted(await runExtract(deps, { safetyMarginMs: 5_000 }));
    // An application clock 1 s behind the database: the stamp precedes the transaction's start.
    const late = await holdTransaction(db.pool, (tx) =>
      tx.query(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
        VALUES (${UTC_NOW} - interval '1 second', ${UTC_NOW} - interval '1 second', 'Cotton', '/skewed', 'cotton-skewed.json')`),
    );
    await db.pool.query(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
      VALUES (${UTC_NOW}, ${UTC_NOW}, 'Steel', '/early', 'steel-early.json')`);
    const during = extracted(await runExtract(deps, { safetyMarginMs: 5_000 }));
    expect(
      (await readUnit(aws, during.manifestKey)).tables.get('design')!.map((r) => r.file_location),
    ).toEqual(['/early']);
    await late.commit();
    const after = extracted(await runExtract(deps, { safetyMarginMs: 5_000 }));
    expect(
      (await readUnit(aws, after.manifestKey)).tables.get('design')!.map((r) => r.file_location),
    ).toEqual(['/skewed']);
  });

  it('CRASH: a failure after some objects but before the manifest leaves no manifest; the next run delivers every row', async () => {
    let written = 0;
    await expect(
      runExtract(deps, {
        afterObjectWritten: () => {
          written += 1;
          if (written === 3) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const orphans = await listKeys(aws);
    expect(orphans).toHaveLength(3);
    expect(orphans.some((k) => k.endsWith('manifest.json'))).toBe(false);
    expect(await stateItems(aws, 'WATERMARK')).toEqual([]);
    expect(await stateItem(aws, 'LEASE', 'extract')).toBeUndefined();

    const next = extracted(await runExtract(deps));
    const counts = await sourceCounts(db.pool);
    expect(next.changedRows).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    const manifests = (await listKeys(aws)).filter((k) => k.endsWith('manifest.json'));
    expect(manifests).toEqual([next.manifestKey]);
  });

  it('CRASH: the manifest PUT itself failing leaves the table objects without a manifest', async () => {
    // This test's own client (beforeEach makes a fresh stack): every manifest PUT fails.
    aws.s3.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: string };
        if (input.Key?.endsWith('manifest.json')) throw new Error('S3 unavailable');
        return next(args);
      },
      { step: 'initialize', name: 'failManifestPuts' },
    );
    await expect(runExtract(deps)).rejects.toThrow('S3 unavailable');
    aws.s3.middlewareStack.remove('failManifestPuts');
    const keys = await listKeys(aws);
    expect(keys.length).toBe(SOURCE_TABLE_NAMES.length);
    expect(keys.some((k) => k.endsWith('manifest.json'))).toBe(false);
    expect(await stateItems(aws, 'WATERMARK')).toEqual([]);
    const next = extracted(await runExtract(deps));
    expect(Object.keys(next.manifest.changedRows).sort()).toEqual([...SOURCE_TABLE_NAMES].sort());
  });

  it('CRASH: a table object PUT failing while later ones are in flight leaves no manifest and no watermark', async () => {
    let objectPuts = 0;
    aws.s3.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: string };
        if (input.Key && !input.Key.endsWith('manifest.json') && ++objectPuts === 2)
          throw new Error('S3 refused one object');
        return next(args);
      },
      { step: 'initialize', name: 'failSecondObjectPut' },
    );
    await expect(runExtract(deps)).rejects.toThrow('S3 refused one object');
    aws.s3.middlewareStack.remove('failSecondObjectPut');
    expect((await listKeys(aws)).some((k) => k.endsWith('manifest.json'))).toBe(false);
    expect(await stateItems(aws, 'WATERMARK')).toEqual([]);
    expect(await stateItem(aws, 'LEASE', 'extract')).toBeUndefined();
  });

  it('the manifest lists the objects in the order they were handed over, whatever order their PUTs land in', async () => {
    // The first object's PUT is held until the second one has landed (PUTs run side by side).
    let secondLanded!: () => void;
    const landed = new Promise<void>((resolve) => {
      secondLanded = resolve;
    });
    const order: string[] = [];
    let objectPuts = 0;
    aws.s3.middlewareStack.add(
      (next) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (key.endsWith('manifest.json')) return next(args);
        const index = ++objectPuts;
        if (index === 1) await landed;
        const result = await next(args);
        order.push(key);
        if (index === 2) secondLanded();
        return result;
      },
      { step: 'initialize', name: 'holdFirstObjectPut' },
    );
    const result = extracted(await runExtract(deps));
    aws.s3.middlewareStack.remove('holdFirstObjectPut');
    const listed = result.manifest.objects.map((o) => o.key);
    expect(order[0]).toBe(listed[1]);
    expect(order[1]).toBe(listed[0]);
    expect((await readUnit(aws, result.manifestKey)).objects).toHaveLength(listed.length);
  });

  it('a failing source query throws and leaves watermarks and lease consistent', async () => {
    extracted(await runExtract(deps));
    const marks = await stateItems(aws, 'WATERMARK');
    await db.pool.query(sql.unsafe`UPDATE currency SET last_updated = ${UTC_NOW} WHERE currency_id = 1`);
    await db.pool.query(sql.unsafe`ALTER TABLE payment RENAME COLUMN paid TO paid_renamed`);
    await expect(runExtract(deps)).rejects.toThrow('paid');
    expect(await stateItems(aws, 'WATERMARK')).toEqual(marks);
    const failed = (await stateItems(aws, 'RUN')).filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.error)).toContain('paid');
    expect(await stateItem(aws, 'LEASE', 'extract')).toBeUndefined();
    expect((await listKeys(aws)).filter((k) => k.endsWith('manifest.json'))).toHaveLength(1);
    await db.pool.query(sql.unsafe`ALTER TABLE payment RENAME COLUMN paid_renamed TO paid`);
    const next = extracted(await runExtract(deps));
    expect(next.manifest.changedRows).toEqual({ currency: 1 });
  });

  it('CONCURRENCY: two runs started together produce one unit', async () => {
    const results = await Promise.all([runExtract(deps), runExtract(deps)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe('extracted');
    expect(['skipped', 'unchanged']).toContain(statuses[1]);
    const manifests = (await listKeys(aws)).filter((k) => k.endsWith('manifest.json'));
    expect(manifests).toHaveLength(1);
  });

  it('a live lease makes a run skip; an expired one is taken over', async () => {
    const clockMs = Date.parse(
      `${String(await db.pool.oneFirst(sql.unsafe`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS')`))}Z`,
    );
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await aws.dynamo.send(
      new PutCommand({
        TableName: aws.stateTable,
        Item: { pk: 'LEASE', sk: 'extract', owner: 'other-run', expiresAtMs: clockMs + 600_000 },
      }),
    );
    const skipped = await runExtract(deps);
    expect(skipped).toMatchObject({
      status: 'skipped',
      reason: 'lease held',
      holder: { owner: 'other-run' },
    });
    expect(await listKeys(aws)).toEqual([]);
    await aws.dynamo.send(
      new PutCommand({
        TableName: aws.stateTable,
        Item: { pk: 'LEASE', sk: 'extract', owner: 'crashed-run', expiresAtMs: clockMs - 1 },
      }),
    );
    expect((await runExtract(deps)).status).toBe('extracted');
  });

  it('pages large tables into parts of at most partSize rows', async () => {
    const result = extracted(await runExtract(deps, { partSize: 2 }));
    const unit = await readUnit(aws, result.manifestKey);
    expect(unit.objects.every((o) => o.rows.length <= 2)).toBe(true);
    expect(unit.manifest.objects.filter((o) => o.table === 'payment_type').map((o) => o.part)).toEqual([
      1, 2,
    ]);
    const counts = await sourceCounts(db.pool);
    for (const table of SOURCE_TABLE_NAMES) {
      expect([table, new Set(ids(unit, table)).size]).toEqual([table, counts[table]]);
    }
  });
  it('a large change set is cut into units of maxUnitRows, and a run stops at maxRunRows: the next runs go on, every version exactly once', async () => {
    const counts = await sourceCounts(db.pool);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const options = { maxUnitRows: 3, maxRunRows: 7, partSize: 2 };
    const changed = Object.fromEntries(SOURCE_TABLE_NAMES.map((t) => [t, 0])) as Record<string, number>;
    const seen = new Map<string, Set<number>>();
    let runs = 0;
    let sale: number | null = null;
    for (;;) {
      const result = await runExtract(deps, options);
      if (result.status !== 'extracted') break;
      runs++;
      expect(result.changedRows).toBeLessThanOrEqual(7);
      expect(result.units.map((u) => u.runId)).toEqual(
        result.units.map((_, i) =>
          i === 0 ? result.runId : `${result.runId}-${String(i + 1).padStart(4, '0')}`,
        ),
      );
      for (const u of result.units) {
        expect(u.changedRows).toBeLessThanOrEqual(3);
        const unit = await readUnit(aws, u.manifestKey);
        expect(unit.manifest.runId).toBe(u.runId);
        for (const [table, n] of Object.entries(unit.manifest.changedRows)) changed[table]! += n;
        for (const table of SOURCE_TABLE_NAMES) {
          const set = seen.get(table) ?? new Set<number>();
          for (const id of ids(unit, table)) set.add(id);
          seen.set(table, set);
        }
      }
      // A row committed while the backlog drains arrives too (stamped now, after every stop).
      if (runs === 2) {
        sale = (await db.pool.oneFirst(sql.unsafe`
          INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
            unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
          VALUES (${UTC_NOW}, ${UTC_NOW}, 1, 1, 1, 7, 12.50, 1, '2024-01-02', '2024-01-03', 2)
          RETURNING sales_order_id`)) as number;
        counts.sales_order++;
      }
      expect(runs).toBeLessThan(30);
    }
    // Several runs, each within its budget; every source row delivered as a changed row exactly once.
    expect(runs).toBeGreaterThanOrEqual(Math.ceil(total / 7));
    for (const table of SOURCE_TABLE_NAMES) {
      expect([table, changed[table]]).toEqual([table, counts[table]]);
      expect([table, seen.get(table)?.size]).toEqual([table, counts[table]]);
    }
    expect(seen.get('sales_order')!.has(sale!)).toBe(true);
    // Drained: a further run finds nothing.
    expect((await runExtract(deps, options)).status).toBe('unchanged');
  });
});
