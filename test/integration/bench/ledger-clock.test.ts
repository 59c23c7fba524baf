import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { ledgerRows, waitForLedgerRow } from '../../../services/tools/bench/ledger-clock.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('ledger_clock');
  await db.pool.query(sql.unsafe`CREATE SCHEMA pipeline`);
  await db.pool.query(sql.unsafe`CREATE TABLE pipeline.load_ledger (unit_id text PRIMARY KEY)`);
});

afterAll(async () => {
  await db.drop();
});

describe('the incremental benchmark clock', () => {
  test('resolves at the poll that sees the new ledger row, holding one connection while it waits', async () => {
    const before = await ledgerRows(db.pool);
    let seen = false;
    const waiting = waitForLedgerRow(db.pool, before, 30_000, () => {
      seen = true;
    });
    // Let a few polls find nothing, then commit a unit.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toBe(false);
    const committed = performance.now();
    await db.pool.query(sql.unsafe`INSERT INTO pipeline.load_ledger VALUES ('unit-1')`);
    const at = await waiting;
    expect(seen).toBe(true);
    expect(at).toBeGreaterThanOrEqual(committed);
    expect(await ledgerRows(db.pool)).toBe(before + 1);
  });

  test('gives up after the timeout', async () => {
    const before = await ledgerRows(db.pool);
    await expect(waitForLedgerRow(db.pool, before, 0)).rejects.toThrow('no load within 0 s');
  });
});
