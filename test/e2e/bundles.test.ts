/**
 * What ships, run end to end: the local runtime on the esbuild bundles `npm run build` writes
 * (dist/<stage>/index.mjs, zipped as dist/<stage>.zip), not on the TypeScript sources. A full
 * load, an incremental run, a unit the warehouse rejects going to the load DLQ, fixed and
 * redriven; the warehouse reconciles after each. CI builds the bundles before `npm test`, so this
 * runs the very files it uploads and deploys; a checkout without dist/ gets them built here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'slonik';
import { buildStage, STAGES } from '../../services/tools/cli/build.ts';
import { bundlePath } from '../../services/tools/local-runtime/lambda/handlers.ts';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { localTarget, redrive } from '../../services/tools/ops/dlq/index.ts';
import { reconcile, renderReconcileReport } from '../../services/tools/ops/reconcile/index.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const LOAD_DLQ = 'totes-load-dlq';
const CONSTRAINT = 'bundles_test_rejects_every_sale';

describe('the built bundles, end to end (--bundles)', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let stateDir: string;
  let stack: LocalStack;

  async function expectReconciled(): Promise<void> {
    const result = await reconcile(source.pool, warehouse.pool);
    if (!result.ok) throw new Error(renderReconcileReport(result));
    expect(result.ok).toBe(true);
  }

  beforeAll(async () => {
    for (const stage of STAGES) if (!existsSync(bundlePath(stage))) await buildStage(stage);
    source = await createTestDatabase('bundles_source');
    warehouse = await createTestDatabase('bundles_warehouse');
    await seedSource(source.pool, { scale: 0.02, seed: 31 });
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-bundles-'));
    stack = await LocalStack.start({
      stateDir,
      sourceUrl: source.url,
      warehouseUrl: warehouse.url,
      retryDelaySeconds: 1,
      handlers: 'bundles',
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await source?.drop();
    await warehouse?.drop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs the bundles, not the sources', () => {
    for (const stage of STAGES)
      expect(stack.handlerModules[stage]).toBe(pathToFileURL(bundlePath(stage)).href);
  });

  it('a full load, then an incremental run, each reconciled exactly', async () => {
    const full = await runOnce(stack);
    expect(full).toMatchObject({ status: 'extracted', failed: 0 });
    expect(full.loaded.fact_sales_order).toBe(
      Number(await source.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "sales_order"`)),
    );
    await expectReconciled();

    const simulated = await simulateEvents(source.pool, { events: 150, seed: 32 });
    expect(simulated.updated.sales_order ?? 0).toBeGreaterThan(0);
    const incremental = await runOnce(stack);
    expect(incremental).toMatchObject({ status: 'extracted', failed: 0 });
    expect(incremental.changed.sales_order ?? 0).toBeGreaterThan(0);
    expect(incremental.changed.sales_order ?? 0).toBeLessThan(full.changed.sales_order ?? 0);
    await expectReconciled();
  });

  it('a unit the warehouse rejects rests in the load DLQ; fixed and redriven, it loads', async () => {
    await warehouse.pool.query(
      sql.unsafe`ALTER TABLE "fact_sales_order" ADD CONSTRAINT ${sql.identifier([CONSTRAINT])} CHECK ("units_sold" < 0) NOT VALID`,
    );
    await simulateEvents(source.pool, { events: 60, seed: 33 });
    const failing = await runOnce(stack);
    expect(failing.status).toBe('extracted');
    const inDlq = failing.dlq[LOAD_DLQ] ?? 0;
    expect(inDlq).toBeGreaterThan(0);
    expect(failing.dlq['totes-transform-dlq']).toBe(0);

    await warehouse.pool.query(
      sql.unsafe`ALTER TABLE "fact_sales_order" DROP CONSTRAINT ${sql.identifier([CONSTRAINT])}`,
    );
    const target = localTarget({
      stateDir,
      endpoints: stack.aws.endpoints,
      region: stack.aws.region,
      resources: stack.resources,
      detach: async () => {},
    });
    try {
      const moved = await redrive(target, await target.dlq(LOAD_DLQ), {});
      expect(moved).toMatchObject({ moved: inDlq, notFound: [] });
    } finally {
      await target.close();
    }
    await stack.waitUntilDrained();
    expect(await stack.queueDepth(LOAD_DLQ)).toBe(0);
    await expectReconciled();
  });

  it("the bundles' logs are JSON lines carrying the Lambda context of every stage", () => {
    const lines = readFileSync(path.join(stateDir, 'logs', 'pipeline.log'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const logs = lines.filter((l) => 'level' in l);
    for (const stage of STAGES) {
      const ofStage = logs.filter((l) => l.function_name === stack.resources.functions[stage].name);
      expect(ofStage.length).toBeGreaterThan(0);
      for (const line of ofStage) {
        expect(line.function_request_id).toEqual(expect.any(String));
        expect(typeof line.cold_start).toBe('boolean');
      }
      expect(ofStage.some((l) => l.cold_start === true)).toBe(true);
    }
    // EMF: one ColdStart per stage (one container each, in this process).
    const coldStarts = lines.filter((l) => '_aws' in l && 'ColdStart' in l);
    expect(coldStarts.map((l) => l.function_name).sort()).toEqual(
      STAGES.map((s) => stack.resources.functions[s].name).sort(),
    );
  });
});
