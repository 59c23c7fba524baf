import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import {
  reconcile,
  reconcileHistory,
  renderReconcileReport,
  VersionRecorder,
} from '../../services/tools/ops/reconcile/index.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const TOTES = path.join(REPO, 'services/tools/cli/bin/totes.js');
const KILLS = 3;

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

function startRun(stateDir: string, source: TestDatabase, warehouse: TestDatabase): Child {
  const child = spawn(
    process.execPath,
    [
      TOTES,
      'run',
      '--once',
      '--state-dir',
      stateDir,
      '--source-url',
      source.url,
      '--warehouse-url',
      warehouse.url,
      // Messages a killed runtime held come back after 6 × 4 s, not 6 × 30 s.
      '--function-timeout',
      '4',
      '--drain-timeout',
      '120',
    ],
    { cwd: REPO, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited, output: () => out };
}

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
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let stateDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('sigkill_source');
    warehouse = await createTestDatabase('sigkill_warehouse');
    await seedSource(source.pool, { scale: 0.03, seed: 23 });
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-sigkill-'));
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await source?.drop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    `is killed ${KILLS} times mid-transaction and still loads every version exactly once`,
    async () => {
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
        const child = startRun(stateDir, source, warehouse);
        children.push(child.process);
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
