import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'slonik';
import {
  reconcile,
  reconcileHistory,
  renderReconcileReport,
  VersionRecorder,
} from '../../services/tools/ops/reconcile/index.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import type { TestDatabase } from '../support/database.ts';
import { type RunFixture, startRunFixture } from '../support/run-fixture.ts';

const KILLS = 3;

/** `totes run --once` on the fixture's folder and databases. */
const startRun = (fixture: RunFixture, extraArgs: readonly string[] = []) =>
  fixture.run([
    '--once',
    // Messages a killed runtime held come back after 6 × 4 s, not 6 × 30 s.
    '--function-timeout',
    '4',
    '--drain-timeout',
    '120',
    ...extraArgs,
  ]);

/**
 * True while a load transaction of the warehouse has begun writing (the ledger row is claimed,
 * rows are being merged) and has not committed: the backend has a transaction id.
 */
async function loadInTransaction(warehouse: TestDatabase): Promise<boolean> {
  const n = await warehouse.pool.oneFirst(sql.unsafe`
    SELECT count(*) FROM pg_stat_activity
    WHERE "datname" = ${warehouse.name} AND "application_name" = 'totes-load' AND "backend_xid" IS NOT NULL`);
  return Number(n) > 0;
}

describe('SIGKILL during a load, then restart on the same state folder', () => {
  let fixture: RunFixture;

  beforeAll(async () => {
    fixture = await startRunFixture('sigkill', { scale: 0.03, seed: 23 });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it(
    `is killed ${KILLS} times mid-transaction and still loads every version exactly once`,
    async () => {
      const { source, warehouse } = fixture;
      const versions = new VersionRecorder();
      await versions.snapshot(source.pool);
      const log: string[] = [];
      let kills = 0;
      let completed = false;
      for (let run = 1; run <= 12 && !(completed && kills >= KILLS); run++) {
        if (completed) {
          // A run finished before it could be killed (its load was too quick to catch): give the
          // next run new changes to load. Nothing writes while a run works, so each completed run
          // saw every version recorded before it.
          await simulateEvents(source.pool, { events: 60, seed: run });
          await versions.snapshot(source.pool);
        }
        const child = startRun(fixture);
        let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
        void child.exited.then((e) => {
          exit = e;
        });
        if (kills < KILLS) {
          while (exit === undefined) {
            if (await loadInTransaction(warehouse)) {
              child.process.kill('SIGKILL');
              kills++;
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
        const { code, signal } = await child.exited;
        log.push(`run ${run}: ${signal ?? `exit ${code}`}\n${child.output()}`);
        completed = signal === null && code === 0;
      }
      if (!completed || kills !== KILLS) throw new Error(`kills ${kills}, runs:\n${log.join('\n')}`);

      // Every killed transaction rolled back; the restarted runs redid the unit exactly once.
      const ledger = await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger"`);
      expect(Number(ledger)).toBeGreaterThan(0);
      const result = await reconcile(source.pool, warehouse.pool);
      if (!result.ok) throw new Error(renderReconcileReport(result));
      expect(result.ok).toBe(true);
      const history = await reconcileHistory(warehouse.pool, versions);
      expect({ lost: history.lost, duplicated: history.duplicated }).toEqual({ lost: 0, duplicated: 0 });
      expect(history.checked).toBe(versions.size);
    },
    5 * 60_000,
  );
});

/** The local function timeout the runs use (`--function-timeout 4`); SQS hides a message 6× as long. */
const FUNCTION_TIMEOUT_S = 4;

async function ledgerUnits(warehouse: TestDatabase): Promise<string[]> {
  const rows = await warehouse.pool.anyFirst(
    sql.unsafe`SELECT "unit_id" FROM "pipeline"."load_ledger" ORDER BY 1`,
  );
  return rows.map(String);
}

describe('SIGKILL right after a load COMMIT, before the idempotency record completes', () => {
  let fixture: RunFixture;

  beforeAll(async () => {
    fixture = await startRunFixture('postcommit', { scale: 0.03, seed: 29 });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it(
    'the redelivered message loads nothing twice, within the visibility timeout of the death',
    async () => {
      const { source, warehouse, stateDir } = fixture;
      const versions = new VersionRecorder();
      await versions.snapshot(source.pool);

      // The process kills itself (SIGKILL, no handler runs) right after its first load COMMIT:
      // its idempotency record stays IN_PROGRESS, its message in flight.
      const killed = startRun(fixture, ['--faults', 'post-commit-kill=1']);
      const death = await killed.exited;
      if (death.signal !== 'SIGKILL') throw new Error(`expected a SIGKILL death:\n${killed.output()}`);
      const committed = await ledgerUnits(warehouse);
      expect(committed).toHaveLength(1);

      const restarted = Date.now();
      const next = startRun(fixture);
      const { code } = await next.exited;
      const seconds = (Date.now() - restarted) / 1000;
      if (code !== 0) throw new Error(`restarted run exit ${code}:\n${next.output()}`);

      // The unit committed before the death came back and was a no-op by the load ledger.
      const log = readFileSync(path.join(stateDir, 'logs', 'pipeline.log'), 'utf8');
      const unit = committed[0] ?? '';
      expect(log).toMatch(
        new RegExp(
          `unit already applied \\(load ledger\\)[\\s\\S]{0,400}${unit}|${unit}[\\s\\S]{0,400}unit already applied \\(load ledger\\)`,
        ),
      );
      const after = await ledgerUnits(warehouse);
      expect(after).toContain(unit);
      expect(new Set(after).size).toBe(after.length);

      const result = await reconcile(source.pool, warehouse.pool);
      if (!result.ok) throw new Error(renderReconcileReport(result));
      const history = await reconcileHistory(warehouse.pool, versions);
      expect({ lost: history.lost, duplicated: history.duplicated }).toEqual({ lost: 0, duplicated: 0 });

      // Bounded: the held message returns after its visibility timeout (6 × the function timeout),
      // then one more load; the rest is start-up and the other units. The figure goes in the note.
      expect({ seconds: Math.round(seconds), within: seconds < 6 * FUNCTION_TIMEOUT_S + 90 }).toEqual({
        seconds: Math.round(seconds),
        within: true,
      });
    },
    5 * 60_000,
  );
});
