/**
 * The extract's one reading of the source (source-reader.ts readSource) as a role with SELECT only,
 * and the privilege-free horizon against a writer that begins its transaction before a run and
 * writes (gets its xid) only after it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type DatabasePool, sql } from 'slonik';
import { runExtract } from '../../../services/lambdas/extract/run-extract.ts';
import { sourceFindings } from '../../../services/lambdas/extract/source-observability.ts';
import { readSource, readTransactionsInProgress } from '../../../services/lambdas/extract/source-reader.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { holdTransaction } from '../../support/held-transaction.ts';
import { UTC_NOW, waitForDatabaseClock } from '../../support/late-writer.ts';
import { createSourceRoles, type SourceRoles } from '../../support/source-roles.ts';
import { createSource, type LocalAws, readUnit, seedFixture, startAws, stateItem } from './support.ts';

const SAFETY_MARGIN_MS = 300;

describe('the source reading as a SELECT-only role', () => {
  let db: TestDatabase;
  let roles: SourceRoles;
  let extract: DatabasePool;

  /** The virtual transaction id of the (single) open transaction of `role`, seen by the owner. */
  const transactionOf = async (role: string) =>
    String(
      await db.pool.oneFirst(sql.unsafe`
        SELECT l.virtualxid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE a.usename = ${role} AND l.locktype = 'virtualxid' AND l.mode = 'ExclusiveLock'`),
    );

  beforeAll(async () => {
    db = await createTestDatabase('reading');
    await createSource(db.pool);
    await seedFixture(db.pool);
    roles = await createSourceRoles(db);
    extract = await createDatabasePool(roles.extractUrl);
  });
  afterAll(async () => {
    await extract?.end();
    await roles?.drop();
    await db?.drop();
  });

  it('lists a writer transaction that has no xid yet, and hides its session', async () => {
    const held = await holdTransaction(roles.writer, (tx) => tx.query(sql.unsafe`SELECT 1`));
    const other = await createTestDatabase('reading_other');
    const elsewhere = await holdTransaction(other.pool, (tx) => tx.query(sql.unsafe`SELECT 1`));
    try {
      const reading = await readSource(extract);
      expect(reading).toMatchObject({
        role: roles.extractRole,
        database: db.name,
        inRecovery: false,
        seesAllSessions: false,
        oldestOpenTransaction: null, // the writer's xact_start is hidden from this role
        preparedTransactions: 0,
      });
      expect(reading.hiddenSessions).toBeGreaterThanOrEqual(1);
      expect(reading.now).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
      const writerTransaction = await transactionOf(roles.writerRole);
      expect(reading.transactions).toContain(writerTransaction);
      // Another database's transaction cannot write this one's tables: not listed.
      const otherTransaction = String(
        await other.pool.oneFirst(sql.unsafe`
          SELECT virtualxid FROM pg_locks WHERE locktype = 'virtualxid' AND mode = 'ExclusiveLock'
            AND pid = (SELECT pid FROM pg_stat_activity WHERE datname = ${other.name} AND state LIKE 'idle in transaction%' LIMIT 1)`),
      );
      expect(reading.transactions).not.toContain(otherTransaction);
      expect(sourceFindings(reading).map((f) => f.cause)).toEqual(['sessions-hidden']);

      await held.commit();
      expect((await readTransactionsInProgress(extract)).transactions).not.toContain(writerTransaction);
    } finally {
      await elsewhere.commit();
      await other.drop();
    }
  });

  it('with pg_read_all_stats: every session visible, the oldest open transaction too', async () => {
    await roles.setReadAllStats(true);
    const held = await holdTransaction(roles.writer, (tx) => tx.query(sql.unsafe`SELECT 1`));
    try {
      const reading = await readSource(extract);
      expect(reading).toMatchObject({ seesAllSessions: true, hiddenSessions: 0 });
      expect(reading.oldestOpenTransaction).not.toBeNull();
      expect(reading.oldestOpenTransaction! <= reading.now).toBe(true);
      expect(sourceFindings(reading)).toEqual([]);
    } finally {
      await held.commit();
      await roles.setReadAllStats(false);
    }
  });

  it('sees a TimeZone a writer role sets for itself, and says how to reset it', async () => {
    const writer = sql.identifier([roles.writerRole]);
    await db.pool.query(sql.unsafe`ALTER ROLE ${writer} SET TimeZone = 'Asia/Tokyo'`);
    try {
      const reading = await readSource(extract);
      expect(reading.timeZone).not.toBe('Asia/Tokyo'); // the extract's own session is unaffected…
      expect(reading.timeZoneSettings).toContainEqual({
        role: roles.writerRole,
        database: null,
        value: 'Asia/Tokyo',
      });
      const [finding] = sourceFindings(reading).filter((f) => f.cause === 'timezone');
      expect(finding!.message).toContain(`ALTER ROLE "${roles.writerRole}" RESET TimeZone`); // …but it pages
    } finally {
      await db.pool.query(sql.unsafe`ALTER ROLE ${writer} RESET TimeZone`);
    }
  });
});

describe('the privilege-free horizon against a writer with no xid at the reading', () => {
  let db: TestDatabase;
  let roles: SourceRoles;
  let extract: DatabasePool;
  let aws: LocalAws;

  beforeAll(async () => {
    db = await createTestDatabase('no_xid');
    await createSource(db.pool);
    await seedFixture(db.pool);
    roles = await createSourceRoles(db);
    extract = await createDatabasePool(roles.extractUrl);
    aws = await startAws();
  });
  afterAll(async () => {
    await aws?.stop();
    await extract?.end();
    await roles?.drop();
    await db?.drop();
  });

  it('a transaction begun before a run that writes after it, stamping its now(), is delivered after it commits', async () => {
    const deps = {
      pool: extract,
      s3: aws.s3,
      dynamo: aws.dynamo,
      bucket: aws.bucket,
      stateTable: aws.stateTable,
      logger: new Logger({ logLevel: 'SILENT' }),
    };
    const options = { safetyMarginMs: SAFETY_MARGIN_MS, horizonWaitMs: 100 };
    expect((await runExtract(deps, options)).status).toBe('extracted');

    // The writer's transaction begins (its now() is fixed) and only reads: no xid yet.
    const held = await holdTransaction(roles.writer, async (tx) =>
      // As a timestamp(3) column stores it (rounded to the millisecond).
      String(
        await tx.oneFirst(sql.unsafe`SELECT to_char(${UTC_NOW}::timestamp(3), 'YYYY-MM-DD HH24:MI:SS.MS')`),
      ),
    );
    await roles.writer.query(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
      VALUES (${UTC_NOW}, ${UTC_NOW}, 'Later', '/later', 'later.json')`);
    await waitForDatabaseClock(db.pool, held.value, SAFETY_MARGIN_MS);

    const during = await runExtract(deps, options);
    if (during.status !== 'extracted') throw new Error(`expected a unit, got ${during.status}`);
    expect(
      (await readUnit(aws, during.manifestKey)).tables.get('design')!.map((r) => r.file_location),
    ).toEqual(['/later']);
    // Held back to before the writer's transaction began, although it has no xid and is hidden.
    expect(String((await stateItem(aws, 'WATERMARK', 'design'))!.watermark) <= held.value).toBe(true);

    // Only now does it write, stamped with its transaction's now(): before the run's reading.
    await held.within((tx) =>
      tx.query(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
        VALUES (${UTC_NOW}, ${UTC_NOW}, 'Held', '/held', 'held.json')`),
    );
    expect((await runExtract(deps, options)).status).toBe('unchanged');
    await held.commit();
    const after = await runExtract(deps, options);
    if (after.status !== 'extracted') throw new Error(`expected a unit, got ${after.status}`);
    const delivered = (await readUnit(aws, after.manifestKey)).tables.get('design')!;
    expect(delivered.map((r) => [r.file_location, r.last_updated])).toEqual([['/held', held.value]]);
  });
});
