/**
 * Issue 13 on the local stack (the real handlers, queues and emulators): the extract connects as a
 * role with SELECT only, the application writes as another role. A writer transaction held open
 * across runs, longer than the safety margin, loses nothing (without pg_read_all_stats, then with
 * it); a source whose TimeZone is not UTC makes the extract say so in one line with the fix and
 * puts the extract-source-unobservable alarm in ALARM.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { evaluateAlarms } from '../../services/tools/ops/alarms/index.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { ENV } from '../../shared/config/env.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectExactWarehouse, heldWriterAcrossRuns } from '../support/late-writer.ts';
import { createSourceRoles, type SourceRoles } from '../support/source-roles.ts';

const SAFETY_MARGIN_MS = 300;

describe('least-privileged extract role', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let roles: SourceRoles;
  let stateDir: string;
  let logFile: string;
  let stack: LocalStack;
  const previousMargin = process.env[ENV.extractSafetyMarginMs];

  /**
   * Log records written since `from` (an offset), parsed (one JSON object per line, or indented);
   * the EMF metric documents in the same file (they carry the cause dimension too) left out.
   */
  const logSince = (from: number): Array<Record<string, unknown>> =>
    readFileSync(logFile, 'utf8')
      .slice(from)
      .split(/\n(?=\{)/)
      .map((chunk) => chunk.trim())
      .filter((chunk) => chunk.startsWith('{'))
      .map((chunk) => JSON.parse(chunk) as Record<string, unknown>)
      .filter((record) => !('_aws' in record));
  const logLength = () => readFileSync(logFile, 'utf8').length;
  const closeExtractPool = async () =>
    (await import('../../services/lambdas/extract/handler.ts')).closeSourcePool();

  beforeAll(async () => {
    source = await createTestDatabase('lp_source');
    warehouse = await createTestDatabase('lp_warehouse');
    await seedSource(source.pool, { scale: 0.02, seed: 13 });
    roles = await createSourceRoles(source);
    process.env[ENV.extractSafetyMarginMs] = String(SAFETY_MARGIN_MS);
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-least-privilege-'));
    logFile = path.join(stateDir, 'pipeline.log');
    stack = await LocalStack.start({
      stateDir,
      sourceUrl: roles.extractUrl,
      warehouseUrl: warehouse.url,
      timeouts: { extract: 60, transform: 30, load: 30 },
      logFile,
    });
    const first = await runOnce(stack);
    expect(first).toMatchObject({ status: 'extracted', failed: 0 });
    await expectExactWarehouse(source.pool, warehouse.pool);
  });

  afterAll(async () => {
    await stack?.stop();
    await closeExtractPool();
    await (await import('../../services/lambdas/load/warehouse-pool.ts')).closeWarehousePool();
    await roles?.drop();
    await source?.drop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
    if (previousMargin === undefined) delete process.env[ENV.extractSafetyMarginMs];
    else process.env[ENV.extractSafetyMarginMs] = previousMargin;
  });

  const pipeline = () => ({
    runOnce: () => runOnce(stack),
    source: source.pool,
    writer: roles.writer,
    warehouse: warehouse.pool,
    safetyMarginMs: SAFETY_MARGIN_MS,
  });

  it('SELECT only: a writer transaction held open across runs past the margin is delivered after it commits', async () => {
    const from = logLength();
    await heldWriterAcrossRuns(pipeline());
    // The writer's session is hidden from the extract role: a warning naming the grant, no page.
    const hidden = logSince(from).filter((l) => l.cause === 'sessions-hidden');
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden[0]).toMatchObject({ level: 'WARN' });
    expect(String(hidden[0]!.message)).toContain(`GRANT pg_read_all_stats TO "${roles.extractRole}"`);
    const alarms = await evaluateAlarms(stack);
    expect(alarms.find((a) => a.id === 'extract-source-unobservable')?.state).toBe('OK');
  });

  it('with pg_read_all_stats: the same, and no session is hidden any more', async () => {
    await roles.setReadAllStats(true);
    const from = logLength();
    await heldWriterAcrossRuns(pipeline());
    expect(logSince(from).filter((l) => l.cause !== undefined)).toEqual([]);
  });

  it('a source TimeZone that is not UTC: one line with the fix, metric and alarm in ALARM', async () => {
    await source.pool.query(
      sql.unsafe`ALTER DATABASE ${sql.identifier([source.name])} SET TimeZone = 'America/New_York'`,
    );
    await closeExtractPool(); // the next connections get the database's new default
    const from = logLength();
    const run = await runOnce(stack);
    expect(run.status).toBe('unchanged'); // the run goes on: it cannot know which rows are off
    const lines = logSince(from).filter((l) => l.cause === 'timezone');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'ERROR' });
    expect(String(lines[0]!.message)).toContain(`ALTER DATABASE "${source.name}" SET TimeZone = 'UTC'`);
    const alarm = (await evaluateAlarms(stack)).find((a) => a.id === 'extract-source-unobservable');
    expect(alarm).toMatchObject({ state: 'ALARM', value: 1, runbook: 'source-unobservable' });
    expect(alarm!.reason).toContain('timezone');

    // Fixed as the line says: the next run finds nothing to report.
    await source.pool.query(sql.unsafe`ALTER DATABASE ${sql.identifier([source.name])} SET TimeZone = 'UTC'`);
    await closeExtractPool();
    const fixedFrom = logLength();
    expect((await runOnce(stack)).status).toBe('unchanged');
    expect(logSince(fixedFrom).filter((l) => l.cause !== undefined)).toEqual([]);
  });
});
