import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchemaValidationError, sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

/** Rows of `sql.type(schema)` queries are checked on every pool (shared/db/result-parser.ts). */
describe('typed results', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('result_parser');
  });
  afterAll(async () => db.drop());

  const COUNTS = z.object({ inserted: z.number().int(), newest: z.string().nullable() });

  it('hands over rows that match the schema, with the exact type parsers applied', async () => {
    const row = await db.pool.one(
      sql.type(COUNTS)`SELECT count(*) AS inserted, '2024-02-29 10:00:00.123'::timestamp(3) AS newest`,
    );
    expect(row).toEqual({ inserted: 1, newest: '2024-02-29 10:00:00.123' });
  });

  it('fails the query when a row does not match', async () => {
    const query = db.pool.one(sql.type(COUNTS)`SELECT 'many' AS inserted, NULL AS newest`);
    await expect(query).rejects.toBeInstanceOf(SchemaValidationError);
  });

  it('leaves untyped queries alone', async () => {
    expect(await db.pool.oneFirst(sql.unsafe`SELECT 'many' AS inserted`)).toBe('many');
  });
});
