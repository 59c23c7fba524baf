/**
 * `totes rebuild` end to end on the local stack: the pipeline runs a few cycles (a first load,
 * then changes), then the lake alone fills other databases of the embedded PostgreSQL, through
 * the real CLI in a child process. Each rebuilt warehouse must equal the live one row for row and
 * reconcile exactly against the source; a rebuild killed after a unit's COMMIT, run again,
 * applies only what is missing; the live warehouse and a warehouse filled from another lake are
 * refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import { z } from 'zod';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { migrateWarehouse } from '../../shared/db/migrate.ts';
import { dumpWarehouse } from '../integration/load/units.ts';
import { runTotes, type TotesRun } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

interface Report {
  ok: boolean;
  target: 'empty' | 'resume';
  ledgerUnitsBefore: number;
  summary: {
    units: { listed: number; applied: number; alreadyApplied: number; failed: number };
    rows: Record<string, { received: number; inserted: number; updated: number }>;
    interrupted: boolean;
  };
  reconcile: { ok: boolean; summary: { totalMismatches: number } } | null;
}

let source: TestDatabase;
let live: TestDatabase;
const targets: TestDatabase[] = [];
let stateDir: string;
/** Processed manifests the pipeline wrote (= units in the live ledger). */
let units: number;

async function target(label: string): Promise<TestDatabase> {
  const database = await createTestDatabase(label);
  targets.push(database);
  return database;
}

async function ledgerUnits(database: TestDatabase): Promise<number> {
  return database.pool.oneFirst(
    sql.type(z.object({ n: z.coerce.number() }))`SELECT count(*) AS n FROM pipeline.load_ledger`,
  );
}

function rebuild(args: readonly string[]): Promise<TotesRun> {
  return runTotes(['rebuild', '--state-dir', stateDir, ...args]);
}

function reportOf(run: TotesRun): Report {
  if (run.code !== 0) throw new Error(`totes rebuild exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Report;
}

beforeAll(async () => {
  source = await createTestDatabase('rebuild_source');
  live = await createTestDatabase('rebuild_live');
  await seedSource(source.pool, { scale: 0.05, seed: 11 });
  stateDir = mkdtempSync(path.join(tmpdir(), 'totes-rebuild-'));
  const stack = await LocalStack.start({
    stateDir,
    sourceUrl: source.url,
    warehouseUrl: live.url,
    retryDelaySeconds: 1,
  });
  try {
    expect((await runOnce(stack)).failed).toBe(0);
    for (const seed of [3, 4]) {
      await simulateEvents(source.pool, { events: 120, seed });
      expect((await runOnce(stack)).failed).toBe(0);
    }
  } finally {
    await stack.stop();
  }
  units = await ledgerUnits(live);
  expect(units).toBeGreaterThanOrEqual(3);
});

afterAll(async () => {
  for (const database of targets) await database.drop();
  await source?.drop();
  await live?.drop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('totes rebuild (local stack)', () => {
  it('fills an empty database from the lake alone: equal to the live warehouse, reconciled exactly', async () => {
    const fresh = await target('rebuild_fresh');
    const run = await rebuild(['--warehouse-url', fresh.url, '--source-url', source.url, '--json']);
    const report = reportOf(run);
    expect(report.target).toBe('empty');
    expect(report.summary.units).toEqual({ listed: units, applied: units, alreadyApplied: 0, failed: 0 });
    expect(report.summary.rows.fact_sales_order?.received).toBeGreaterThan(0);
    expect(report.reconcile?.ok).toBe(true);
    expect(report.ok).toBe(true);
    // Not a TTY: progress as plain lines on stderr, the last one at 100 %.
    expect(run.stderr).toContain(`rebuild: ${units}/${units} units (100%)`);
    expect(await dumpWarehouse(fresh.pool)).toEqual(await dumpWarehouse(live.pool));
  });

  it('killed after a COMMIT, then run again: only what is missing is applied, nothing doubled', async () => {
    const resumed = await target('rebuild_resumed');
    // post-commit-kill=1: the process SIGKILLs itself right after the first unit's COMMIT.
    const killed = await rebuild([
      '--warehouse-url',
      resumed.url,
      '--faults',
      'post-commit-kill=1',
      '--json',
    ]);
    expect(killed.code).toBeNull();
    expect(await ledgerUnits(resumed)).toBe(1);

    const second = reportOf(
      await rebuild(['--warehouse-url', resumed.url, '--source-url', source.url, '--json']),
    );
    expect(second.target).toBe('resume');
    expect(second.ledgerUnitsBefore).toBe(1);
    expect(second.summary.units).toEqual({
      listed: units,
      applied: units - 1,
      alreadyApplied: 1,
      failed: 0,
    });
    expect(second.reconcile?.ok).toBe(true);

    // A third run finds everything in the ledger and changes nothing.
    const before = await dumpWarehouse(resumed.pool);
    const third = reportOf(await rebuild(['--warehouse-url', resumed.url, '--json']));
    expect(third.summary.units).toEqual({ listed: units, applied: 0, alreadyApplied: units, failed: 0 });
    expect(third.reconcile).toBeNull();
    expect(await dumpWarehouse(resumed.pool)).toEqual(before);
    expect(before).toEqual(await dumpWarehouse(live.pool));
  });

  it('with the stack running: refuses its live warehouse, rebuilds elsewhere and reconciles with its source', async () => {
    const stack = await LocalStack.start({
      stateDir,
      sourceUrl: source.url,
      warehouseUrl: live.url,
      retryDelaySeconds: 1,
    });
    try {
      const refused = await rebuild(['--warehouse-url', live.url]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/is the live warehouse of the stack running on .*pass --force/);

      const other = await target('rebuild_running');
      const run = await rebuild(['--warehouse-url', other.url]);
      expect(run.code).toBe(0);
      // The summary and the reconcile report on stdout; the source came from the running stack.
      expect(run.stdout).toMatch(new RegExp(`${units} units, ${units} applied, 0 already applied`));
      expect(run.stdout).toMatch(/fact_sales_order/);
      expect(run.stdout).not.toMatch(/mismatch/i);
    } finally {
      await stack.stop();
    }
  });

  it('refuses a warehouse whose ledger holds units of another lake, and an unknown target (exit 2)', async () => {
    const foreign = await target('rebuild_foreign');
    await migrateWarehouse(foreign.pool);
    await foreign.pool.query(sql.unsafe`
      INSERT INTO pipeline.load_ledger (unit_id, run_id, rows)
      VALUES ('units/2020/01/01/20200101T000000000Z-elsewhere/manifest.json', '20200101T000000000Z-elsewhere', '{}')`);
    const refused = await rebuild(['--warehouse-url', foreign.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to rebuild into .*filled from another lake/);
    expect(await ledgerUnits(foreign)).toBe(1);

    const none = await rebuild([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no target warehouse: pass --warehouse-url/);
  });
});
