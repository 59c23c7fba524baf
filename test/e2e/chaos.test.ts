import { renderChaosReport, runChaos } from '../../services/tools/chaos/run.ts';
import { FAULT_KINDS, parseFaultSpec } from '../../services/tools/local-runtime/faults/injector.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * A short chaos run on every change: three extract cycles with faults at every boundary, then
 * drain, redrive, drain, and both oracles. Nothing may be lost or stored twice.
 */
/**
 * Every kind, and the ones with few chances in a short run (one draw per send, per load, per
 * invocation) often enough that each fires within CI time.
 */
const SPEC =
  'all=0.05,sqs.send=0.3,pg.query=0.01,post-commit-crash=0.5,pg.commit=0.4,timeout=0.3,duplicate=0.2,reorder=0.2';

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
        cycles: 3,
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
      expect(enabled.filter((kind) => result.byKind[kind] === 0)).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
      expect(result.reconcile.ok).toBe(true);
      // The oracle checked the seed's versions and the simulated ones.
      expect(result.checkedVersions).toBeGreaterThan(500);
      expect(result.extracts.ok).toBeGreaterThan(0);
    },
    5 * 60_000,
  );
});
