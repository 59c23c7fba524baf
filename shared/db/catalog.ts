/**
 * Two questions every reader of a database asks before it reads: does this relation exist yet (a
 * warehouse not migrated, a source not seeded) and how many rows does it hold. Typed results.
 */
import { type CommonQueryMethods, type IdentifierSqlToken, sql } from 'slonik';
import { z } from 'zod';

const EXISTS = sql.type(z.object({ exists: z.boolean() }));
const COUNT = sql.type(z.object({ count: z.number().int() }));

/** Whether `qualifiedName` ('schema.table' or 'table', resolved on the search path) exists. */
export async function relationExists(db: CommonQueryMethods, qualifiedName: string): Promise<boolean> {
  return db.oneFirst(EXISTS`SELECT to_regclass(${qualifiedName}) IS NOT NULL AS "exists"`);
}

/** The rows of a table (an exact count(*): the tables read this way are warehouse and source tables). */
export async function countRows(db: CommonQueryMethods, table: IdentifierSqlToken): Promise<number> {
  return db.oneFirst(COUNT`SELECT count(*) AS "count" FROM ${table}`);
}
