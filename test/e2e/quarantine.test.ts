/**
 * Issue 19 item 6b through the real stage code (extract run logic, transform and load handlers,
 * emulated S3 and DynamoDB, embedded PostgreSQL): poison is contained per row, not per unit.
 *
 * A transform bug (the test seam `refuse-id-1`: staff 1 and sales order 1 cannot be carried) ships
 * for a first full load and one incremental unit. Every other row of the units loads; the refused
 * rows and the facts that reference the held staff row (which the warehouse does not have) are held
 * with their reasons, shown by `totes quarantine`, and the rows-held alarm is in ALARM. The fix
 * ships (the seam is unset), the first unit is replayed: its rows arrive and the later unit's
 * dependant is released by that load; the later unit is replayed: nothing is held, the alarm is
 * OK, reconcile is exact and every version is stored once. Replaying and redelivering again
 * changes nothing. A held dimension row the warehouse already has (from an earlier unit) holds
 * back no fact.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'slonik';
import { z } from 'zod';
import { DERIVATION_FAULT_ENV } from '../../services/lambdas/transform/derivation-fault.ts';
import { quarantineAt } from '../../services/tools/cli/commands/quarantine.ts';
import { measureRowsHeld } from '../../services/tools/ops/alarms/evaluate.ts';
import { evaluateAlarm } from '../../services/tools/ops/alarms/rules.ts';
import { reconcile } from '../../services/tools/ops/reconcile/index.ts';
import { replayUnits, runIdTime } from '../../services/tools/ops/replay/index.ts';
import { alarmsFor } from '../../shared/config/alarms.ts';
import type { ProcessedManifest } from '../../shared/lake/index.ts';
import { listHeldRows } from '../../shared/state/quarantine.ts';
import { runTotes } from '../support/cli.ts';
import { type StagePipeline, startStagePipeline } from '../support/stage-pipeline.ts';

let pipeline: StagePipeline;
/** The ingestion manifests of the two units transformed with the bug. */
let firstUnit: string;
let secondUnit: string;
/** Every processed manifest loaded so far (for the redelivery at the end). */
const loaded: string[] = [];
/** The sales order (of staff 1) the second unit changes. */
let changedOrder: number;

const w = () => pipeline.warehouse.pool;
const s = () => pipeline.source.pool;
const count = async (query: ReturnType<typeof sql.unsafe>) => Number(await w().oneFirst(query));

async function rowsHeldAlarm() {
  const alarm = alarmsFor('local', 'totes').find((a) => a.kind === 'rows-held');
  expect(alarm).toBeDefined();
  const rowsHeld = await measureRowsHeld(pipeline.warehouse.url);
  return evaluateAlarm(alarm!, {
    now: Date.now(),
    queues: {},
    failures: {},
    lastSuccessfulExtract: null,
    extractRuns: [],
    freshness: { lagSeconds: 0, detail: '' },
    ...(rowsHeld ? { rowsHeld } : {}),
  });
}

async function transformAndLoad(ingestionManifest: string, messageId: string): Promise<string[]> {
  const manifests = await pipeline.transform(ingestionManifest, messageId);
  await pipeline.load(manifests);
  loaded.push(...manifests);
  return manifests;
}

/** `totes replay` of exactly the unit whose ingestion manifest is `key`; returns its new manifest. */
async function replayUnit(key: string): Promise<string> {
  const runId = key.split('/').at(-2)!;
  const time = runIdTime(runId)!;
  const report = await replayUnits({
    s3: pipeline.aws.s3,
    bucket: pipeline.ingestionBucket,
    window: { from: time, to: time + 1 },
    dryRun: false,
    target: 'test',
  });
  expect(report.units.map((u) => u.status)).toEqual(['replayed']);
  return report.units[0]!.key;
}

/** Every table's row count and the quarantine's open rows: the warehouse's observable state. */
async function snapshot() {
  const tables = await w().anyFirst(
    sql.unsafe`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  const out: Record<string, number> = {};
  for (const table of tables as string[]) {
    out[table] = await count(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`);
  }
  out.quarantine_open = await count(
    sql.unsafe`SELECT count(*) FROM pipeline.quarantine WHERE released_at IS NULL`,
  );
  return out;
}

beforeAll(async () => {
  pipeline = await startStagePipeline({ name: 'quarantine', seed: { scale: 0.02, seed: 20261130 } });
});

afterAll(async () => {
  delete process.env[DERIVATION_FAULT_ENV];
  await pipeline?.stop();
});

describe('poison is contained per row: held, visible, alarmed, released exactly once after the fix', () => {
  it('first load with the bug: the rest of the unit loads, the poisoned rows and their dependants are held', async () => {
    process.env[DERIVATION_FAULT_ENV] = 'refuse-id-1';
    firstUnit = await pipeline.extract();
    const manifests = await pipeline.transform(firstUnit, 't-1');
    // The processed manifest carries the two held source rows whole, with their reasons.
    const body = await pipeline.aws.s3.send(
      new GetObjectCommand({ Bucket: pipeline.processedBucket, Key: manifests[0] }),
    );
    const manifest = JSON.parse(await body.Body!.transformToString()) as ProcessedManifest;
    expect(manifest.held?.map((h) => [h.table, h.id, h.errorClass, h.withholds])).toEqual([
      ['staff', 1, 'WrongValueTypeError', [{ table: 'dim_staff', id: 1 }]],
      ['sales_order', 1, 'WrongValueTypeError', []],
    ]);
    const staffRow = await s().one(
      sql.type(
        z.object({ first_name: z.string(), email_address: z.string() }),
      )`SELECT first_name, email_address FROM staff WHERE staff_id = 1`,
    );
    expect(manifest.held?.[0]?.row).toMatchObject(staffRow);
    await pipeline.load(manifests);
    loaded.push(...manifests);

    // Everything else is in the warehouse.
    const sourceStaff = await s().oneFirst(sql.unsafe`SELECT count(*) FROM staff`);
    expect(await count(sql.unsafe`SELECT count(*) FROM dim_staff`)).toBe(Number(sourceStaff) - 1);
    expect(await count(sql.unsafe`SELECT count(*) FROM dim_staff WHERE staff_id = 1`)).toBe(0);
    const sales = await s().one(sql.type(
      z.object({ all: z.number(), dependants: z.number() }),
    )`SELECT count(*)::int AS "all",
        count(*) FILTER (WHERE staff_id = 1 AND sales_order_id <> 1)::int AS dependants
      FROM sales_order`);
    const purchasesOfStaff1 = Number(
      await s().oneFirst(sql.unsafe`SELECT count(*) FROM purchase_order WHERE staff_id = 1`),
    );
    expect(Number(sales.dependants)).toBeGreaterThan(0);
    expect(await count(sql.unsafe`SELECT count(*) FROM fact_sales_order`)).toBe(
      Number(sales.all) - 1 - Number(sales.dependants),
    );
    expect(
      await count(
        sql.unsafe`SELECT count(*) FROM fact_sales_order WHERE sales_order_id = 1 OR sales_staff_id = 1`,
      ),
    ).toBe(0);
    expect(await count(sql.unsafe`SELECT count(*) FROM fact_purchase_order WHERE staff_id = 1`)).toBe(0);
    const payments = await s().oneFirst(sql.unsafe`SELECT count(*) FROM payment`);
    expect(await count(sql.unsafe`SELECT count(*) FROM fact_payment`)).toBe(Number(payments));

    // Held with their reasons, in the warehouse and in `totes quarantine`.
    const held = await listHeldRows(w());
    expect(held.filter((h) => h.kind === 'held').map((h) => h.naturalKey)).toEqual([
      'staff 1',
      'sales_order 1',
    ]);
    const dependants = held.filter((h) => h.kind === 'dependant');
    expect(dependants).toHaveLength(Number(sales.dependants) + purchasesOfStaff1);
    for (const d of dependants) {
      expect(d.reason).toBe('depends on held dim_staff 1');
      expect(d.dependsOn).toEqual([{ table: 'dim_staff', id: 1 }]);
    }
    const report = await quarantineAt(pipeline.warehouse.url);
    expect(report.held).toBe(held.length);
    const staff = report.rows.find((r) => r.naturalKey === 'staff 1')!;
    expect(staff.reason).toContain('refused by the test fault refuse-id-1');
    expect(staff.release).toMatch(/^after the fix: totes replay --from \S+ --to \S+$/);
    expect(report.rows.find((r) => r.kind === 'dependant')?.release).toContain('dim_staff 1');

    const alarm = await rowsHeldAlarm();
    expect(alarm.state).toBe('ALARM');
    expect(alarm.value).toBe(held.length);

    // The operator's command: exit 1 while rows are held, one JSON document on stdout.
    const cli = await runTotes(['quarantine', '--json', '--warehouse-url', pipeline.warehouse.url]);
    expect(cli.code).toBe(1);
    const json = JSON.parse(cli.stdout) as { held: number; rows: { naturalKey: string; release: string }[] };
    expect(json.held).toBe(held.length);
    expect(json.rows.find((r) => r.naturalKey === 'sales_order 1')?.release).toContain('totes replay --from');
    const text = await runTotes(['quarantine', '--warehouse-url', pipeline.warehouse.url]);
    expect(text.stdout).toContain('HELD  staff 1');
    expect(text.stdout).toContain('DEPENDANT  fact_sales_order');
  });

  it('a later unit with the bug: its fact of staff 1 waits as a dependant, the rest loads', async () => {
    changedOrder = Number(
      await s().oneFirst(
        sql.unsafe`SELECT min(sales_order_id) FROM sales_order WHERE staff_id = 1 AND sales_order_id <> 1`,
      ),
    );
    await s().query(sql.unsafe`UPDATE sales_order SET units_sold = units_sold + 1,
        last_updated = (now() AT TIME ZONE 'UTC')::timestamp(3) WHERE sales_order_id = ${changedOrder}`);
    await s().query(sql.unsafe`UPDATE design SET design_name = 'Cotton',
        last_updated = (now() AT TIME ZONE 'UTC')::timestamp(3) WHERE design_id = 2`);
    secondUnit = await pipeline.extract();
    await transformAndLoad(secondUnit, 't-2');
    expect(await w().oneFirst(sql.unsafe`SELECT design_name FROM dim_design WHERE design_id = 2`)).toBe(
      'Cotton',
    );
    const waiting = (await listHeldRows(w())).filter(
      (h) =>
        h.kind === 'dependant' && h.naturalKey === `fact_sales_order ${changedOrder}` && h.generation === 1,
    );
    expect(waiting).toHaveLength(2); // its version of the first unit and the changed one
    expect((await rowsHeldAlarm()).state).toBe('ALARM');
  });

  it('after the fix, replays release every held row exactly once; reconcile is exact, the alarm OK', async () => {
    delete process.env[DERIVATION_FAULT_ENV];
    // The first unit: its held rows arrive, and so does the later unit's dependant (staff 1 is in now).
    await transformAndLoad(await replayUnit(firstUnit), 't-3');
    expect(await count(sql.unsafe`SELECT count(*) FROM dim_staff WHERE staff_id = 1`)).toBe(1);
    expect(await count(sql.unsafe`SELECT count(*) FROM fact_sales_order WHERE sales_order_id = 1`)).toBe(1);
    expect(
      await count(sql.unsafe`SELECT count(*) FROM fact_sales_order WHERE sales_order_id = ${changedOrder}`),
    ).toBe(2);
    const history = await listHeldRows(w(), { all: true });
    const released = history.filter((h) => h.releasedBy?.startsWith('load of '));
    expect(released.map((h) => h.naturalKey)).toEqual([`fact_sales_order ${changedOrder}`]);
    expect(history.filter((h) => h.releasedBy === 'replaced by generation 2').length).toBeGreaterThan(2);
    // The later unit still holds its own copy of staff 1 (unchanged, so the warehouse has it): replay it.
    expect((await listHeldRows(w())).map((h) => h.naturalKey)).toEqual(['staff 1']);
    await transformAndLoad(await replayUnit(secondUnit), 't-4');

    expect(await listHeldRows(w())).toEqual([]);
    expect((await rowsHeldAlarm()).state).toBe('OK');
    expect((await runTotes(['quarantine', '--warehouse-url', pipeline.warehouse.url])).code).toBe(0);
    const result = await reconcile(s(), w());
    expect(result.mismatches).toEqual([]);
    expect(result.ok).toBe(true);
    // Every source version of a sales order once, none twice (1 version each, 2 for the changed one).
    const sourceSales = Number(await s().oneFirst(sql.unsafe`SELECT count(*) FROM sales_order`));
    expect(await count(sql.unsafe`SELECT count(*) FROM fact_sales_order`)).toBe(sourceSales + 1);
    expect(
      await count(sql.unsafe`SELECT count(DISTINCT (sales_order_id, last_updated_date, last_updated_time))
        FROM fact_sales_order`),
    ).toBe(sourceSales + 1);
  });

  it('a second release or redelivery changes nothing', async () => {
    const before = await snapshot();
    // Every processed manifest again, as a redrive would deliver them (the ledger refuses each).
    for (const key of loaded) await pipeline.load([key]);
    expect(await snapshot()).toEqual(before);
    // Both units replayed again: generation 3 replaces 2 with the same rows.
    await transformAndLoad(await replayUnit(firstUnit), 't-5');
    await transformAndLoad(await replayUnit(secondUnit), 't-6');
    expect(await snapshot()).toEqual(before);
    expect((await reconcile(s(), w())).ok).toBe(true);
  });

  it('a held dimension row the warehouse already has holds back nothing else', async () => {
    process.env[DERIVATION_FAULT_ENV] = 'refuse-id-1';
    await s().query(sql.unsafe`UPDATE sales_order SET units_sold = units_sold + 1,
        last_updated = (now() AT TIME ZONE 'UTC')::timestamp(3) WHERE sales_order_id = ${changedOrder}`);
    const thirdUnit = await pipeline.extract();
    await transformAndLoad(thirdUnit, 't-7');
    // Staff 1 is held again (a partner of the changed order), but the warehouse has it: the fact loads.
    expect((await listHeldRows(w())).map((h) => [h.kind, h.naturalKey])).toEqual([['held', 'staff 1']]);
    expect(
      await count(sql.unsafe`SELECT count(*) FROM fact_sales_order WHERE sales_order_id = ${changedOrder}`),
    ).toBe(3);
    delete process.env[DERIVATION_FAULT_ENV];
    await transformAndLoad(await replayUnit(thirdUnit), 't-8');
    expect(await listHeldRows(w())).toEqual([]);
    expect((await reconcile(s(), w())).ok).toBe(true);
  });
});
