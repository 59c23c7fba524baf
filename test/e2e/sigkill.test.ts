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
import { pipelineResources } from '../../shared/config/resources.ts';
import type { TestDatabase } from '../support/database.ts';
import { type RunFixture, startRunFixture } from '../support/run-fixture.ts';

const KILLS = 3;

/**
 * The function timeout of every run: far above what an attempt on this small data set takes (about
 * a second on a quiet machine, 15–30 times that at load averages of 15–30 on 2 cores), so no attempt
 * of a run the test does not kill is timed out and retried. (`--function-timeout 4`, chosen for a
 * quick redelivery, raced real work on loaded machines and failed the tests.)
 */
const FUNCTION_TIMEOUT_S = 60;

/** How long a message a killed runtime held stays hidden: its queue's visibility timeout (6×). */
const VISIBILITY_TIMEOUT_S = Math.max(
  ...Object.values(
    pipelineResources('totes', 'local', { transform: FUNCTION_TIMEOUT_S, load: FUNCTION_TIMEOUT_S }).queues,
  ).map((q) => q.visibilityTimeoutSeconds),
);

/**
 * A run started after a SIGKILL: its clock runs one visibility timeout (and a margin) ahead of the
 * clock of the run before it, so the messages the killed run held are visible again and its
 * IN_PROGRESS idempotency marks expired, as they are on AWS once that time has passed, without the
 * test sleeping through it. `aheadMs` is the previous run's lead over the real clock.
 */
const afterVisibilityTimeout = (aheadMs: number) => aheadMs + (VISIBILITY_TIMEOUT_S + 5) * 1000;

/** `totes run --once` on the fixture's folder and databases. */
const startRun = (fixture: RunFixture, clockAheadMs: number, extraArgs: readonly string[] = []) =>
  fixture.run(
    ['--once', '--function-timeout', String(FUNCTION_TIMEOUT_S), '--drain-timeout', '600', ...extraArgs],
    { clockAheadMs },
  );

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
      let clockAheadMs = 0;
      for (let run = 1; run <= 12 && !(completed && kills >= KILLS); run++) {
        if (completed) {
          // A run finished before it could be killed (its load was too quick to catch): give the
          // next run new changes to load. Nothing writes while a run works, so each completed run
          // saw every version recorded before it.
          await simulateEvents(source.pool, { events: 60, seed: run });
          await versions.snapshot(source.pool);
        }
        const child = startRun(fixture, clockAheadMs);
        let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
        void child.exited.then((e) => {
          exit = e;
        });
        let killed = false;
        if (kills < KILLS) {
          while (exit === undefined) {
            if (await loadInTransaction(warehouse)) {
              child.process.kill('SIGKILL');
              kills++;
              killed = true;
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
        const { code, signal } = await child.exited;
        log.push(`run ${run}: ${signal ?? `exit ${code}`}\n${child.output()}`);
        // The next run starts once what this one held has come back (see afterVisibilityTimeout).
        if (killed) clockAheadMs = afterVisibilityTimeout(clockAheadMs);
        // A run the test did not kill has no excuse to fail: no attempt of it races a short timeout.
        else if (code !== 0) throw new Error(`run ${run} was not killed and failed:\n${log.join('\n')}`);
        completed = !killed;
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
    // A guard against a hang, not a speed test: four to twelve runs of `totes run` on a loaded machine.
    20 * 60_000,
  );
});

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
      const killed = startRun(fixture, 0, ['--faults', 'post-commit-kill=1']);
      const death = await killed.exited;
      if (death.signal !== 'SIGKILL') throw new Error(`expected a SIGKILL death:\n${killed.output()}`);
      const committed = await ledgerUnits(warehouse);
      expect(committed).toHaveLength(1);

      // Restarted once the visibility timeout of the death has passed (its clock moved past it).
      const restarted = Date.now();
      const next = startRun(fixture, afterVisibilityTimeout(0));
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

      // Bounded: the held message is taken at the deadline its dead holder's receive set (passed when
      // the restarted run starts), not at a new one; waiting out a fresh visibility timeout would
      // take longer than this. The rest is start-up and the other units. The figure goes in the note.
      expect({ seconds: Math.round(seconds), within: seconds < VISIBILITY_TIMEOUT_S }).toEqual({
        seconds: Math.round(seconds),
        within: true,
      });
    },
    // A guard against a hang, not a speed test.
    15 * 60_000,
  );
});
