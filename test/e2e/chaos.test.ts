import { renderChaosReport, runChaos } from '../../services/tools/chaos/run.ts';
import { FAULT_KINDS, parseFaultSpec } from '../../services/tools/local-runtime/faults/injector.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * A short chaos run on every change: six extract cycles with faults at every boundary, then
 * drain, redrive, drain, and both oracles. Nothing may be lost or stored twice.
 *
 * Every kind fires. Each boundary draws from its own seeded stream, so with seed 11 a kind fires at
 * a fixed crossing of its boundary (pg.commit at p=0.5: the 3rd; sqs.send at p=0.5: the 1st;
 * post-commit-crash at 0.6: the 1st; pg.query at 0.02: the 109th of some 200-700; ddb.read at 0.25:
 * the 8th); what the run must guarantee is enough crossings while faults are on. (pg.query and
 * ddb.read are kept low: an extract makes some 40 statements and several reads, and at 0.03 / 0.5
 * most extract attempts failed.) Each cycle waits until the load has reached its COMMIT boundary for the unit the cycle
 * extracted (a unit whose commit fails crosses again on its retry), and dead-letters one s3:TestEvent
 * that the cycle's on-call redrive moves with SendMessage, the pipeline's own sqs.send boundary.
 */
const SPEC =
  'all=0.05,ddb.read=0.25,pg.query=0.02,post-commit-crash=0.6,pg.commit=0.5,sqs.send=0.5,timeout=0.3,duplicate=0.2,reorder=0.2';

describe('chaos (short)', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;

  beforeAll(async () => {
    source = await createTestDatabase('chaos_source');
    warehouse = await createTestDatabase('chaos_warehouse');
    await seedSource(source.pool, { scale: 0.03, seed: 11 });
  });

  afterAll(async () => {
    await source?.drop();
    await warehouse?.drop();
  });

  it(
    'injects faults and still loses nothing and stores nothing twice',
    async () => {
      const lines: string[] = [];
      const result = await runChaos({
        seed: 11,
        cycles: 6,
        eventsPerCycle: 80,
        faults: SPEC,
        sourceUrl: source.url,
        warehouseUrl: warehouse.url,
        log: (line) => lines.push(line),
      });
      const report = renderChaosReport(result);
      if (!result.ok) throw new Error(`${lines.join('\n')}\n${report}`);
      expect(report.split('\n').at(-1)).toBe(`faults=${result.faults} lost=0 duplicated=0`);
      // Every fault kind of the spec fired: a seam that stopped injecting fails here, not unseen.
      const spec = parseFaultSpec(SPEC);
      const enabled = FAULT_KINDS.filter((kind) => (spec[kind] ?? 0) > 0);
      expect(enabled.length).toBeGreaterThanOrEqual(13);
      const silent = enabled
        .filter((kind) => result.byKind[kind] === 0)
        .map((kind) => `${kind} (crossed ${result.crossedByKind[kind]} times)`);
      expect(silent).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
      expect(result.reconcile.ok).toBe(true);
      // The oracle checked the seed's versions and the simulated ones.
      expect(result.checkedVersions).toBeGreaterThan(500);
      expect(result.extracts.ok).toBeGreaterThan(0);
    },
    // Measured 95-105 s of chaos at load averages of 13-22; each cycle may wait up to 60 s for its load.
    10 * 60_000,
  );
});
