/**
 * Queries against the totesys source. Only the eleven tables of SOURCE_TABLES are ever named (any
 * other table, such as `_prisma_migrations`, is ignored), identifiers are always quoted, and values
 * come back losslessly: int → number, numeric → decimal text, timestamp → 'YYYY-MM-DD HH:MM:SS.mmm',
 * boolean → boolean, NULL → null.
 */
import { type DatabasePool, type DatabaseTransactionConnection, type ListSqlToken, sql } from 'slonik';
import type { SourceValue } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import type { ClockReading } from './window.ts';

const US_FORMAT = 'YYYY-MM-DD HH24:MI:SS.US';
const MS_FORMAT = 'YYYY-MM-DD HH24:MI:SS.MS';

export interface SourceClock extends ClockReading {
  /** Other sessions of this database whose transaction state we may not see (missing privilege). */
  readonly unobservedSessions: number;
}

/**
 * Reads the database clock and the start of the oldest other open transaction in this database.
 * Must run BEFORE the snapshot is taken (outside its transaction): a transaction open at the
 * snapshot is then either seen here or started after this reading.
 */
export async function readClock(pool: DatabasePool): Promise<SourceClock> {
  const row = (await pool.one(sql.unsafe`
    SELECT
      to_char(now() AT TIME ZONE 'UTC', ${US_FORMAT}) AS "now",
      (SELECT to_char(min(a.xact_start) AT TIME ZONE 'UTC', ${US_FORMAT})
         FROM pg_stat_activity a
        WHERE a.datname = current_database()
          AND a.pid <> pg_backend_pid()
          AND a.backend_type = 'client backend'
          AND a.xact_start IS NOT NULL) AS "oldestOpenTransaction",
      (SELECT count(*)
         FROM pg_stat_activity a
        WHERE a.datname = current_database()
          AND a.pid <> pg_backend_pid()
          AND a.backend_type = 'client backend'
          AND a.state IS NULL) AS "unobservedSessions"`)) as Record<string, unknown>;
  return {
    now: row.now as string,
    oldestOpenTransaction: (row.oldestOpenTransaction as string | null) ?? null,
    unobservedSessions: Number(row.unobservedSessions),
  };
}

function selectList(table: SourceTableName): ListSqlToken {
  return sql.join(
    SOURCE_TABLES[table].columns.map((c) => {
      const id = sql.identifier([c.name]);
      if (c.type === 'timestamp') return sql.fragment`to_char(${id}, ${MS_FORMAT}) AS ${id}`;
      if (c.type === 'numeric') return sql.fragment`${id}::text AS ${id}`;
      return sql.fragment`${id}`;
    }),
    sql.fragment`, `,
  );
}

function toRow(table: SourceTableName, record: Record<string, unknown>): SourceValue[] {
  return SOURCE_TABLES[table].columns.map((c) => {
    const value = record[c.name];
    if (value === null || value === undefined) return null;
    switch (c.type) {
      case 'int':
        if (typeof value !== 'number') throw new TypeError(`${table}.${c.name}: expected an int`);
        return value;
      case 'boolean':
        if (typeof value !== 'boolean') throw new TypeError(`${table}.${c.name}: expected a boolean`);
        return value;
      default:
        if (typeof value !== 'string') throw new TypeError(`${table}.${c.name}: expected text`);
        return value;
    }
  });
}

export interface SnapshotReader {
  /** The snapshot transaction's now() on the database clock, 'YYYY-MM-DD HH:MM:SS.mmm'. */
  readonly now: string;
  /** Rows with last_updated >= from (all rows when from is null), in pages of at most pageSize. */
  changedRows(table: SourceTableName, from: string | null, pageSize: number): AsyncGenerator<SourceValue[][]>;
  /** Current rows of `table` whose `column` is one of `ids`. */
  rowsWhereIn(table: SourceTableName, column: string, ids: readonly number[]): Promise<SourceValue[][]>;
}

/**
 * Runs `work` inside one REPEATABLE READ, READ ONLY transaction: every table is read from the same
 * consistent snapshot, so a fact and the partner rows it references agree. The transaction is never
 * retried by slonik (work has side effects: it writes objects).
 */
export async function withSnapshot<T>(
  pool: DatabasePool,
  work: (reader: SnapshotReader) => Promise<T>,
): Promise<T> {
  return pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    const now = await tx.oneFirst(sql.unsafe`SELECT to_char(now() AT TIME ZONE 'UTC', ${MS_FORMAT})`);
    return work(snapshotReader(tx, now as string));
  }, 0);
}

/** Rows per FETCH of a changed-rows cursor (the literal in the FETCH statement). */
const FETCH_CHUNK_ROWS = 1000;

function snapshotReader(tx: DatabaseTransactionConnection, now: string): SnapshotReader {
  let cursors = 0;
  return {
    now,
    async *changedRows(table, from, pageSize) {
      if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`bad page size ${pageSize}`);
      const id = sql.identifier([table]);
      // Qualified: the select list aliases last_updated to its text form.
      const pk = sql.identifier([table, SOURCE_TABLES[table].primaryKey]);
      const lu = sql.identifier([table, 'last_updated']);
      const lowerBound =
        from === null ? sql.fragment`TRUE` : sql.fragment`${lu} >= ${from}::timestamp(3) without time zone`;
      // One server-side cursor per table inside the snapshot: the table is scanned and sorted once
      // and fetched in pages (bounded memory). Keyset pages (one query per page) re-scanned and
      // re-sorted the whole table for every page: the source has no index on last_updated
      // (EXPLAIN ANALYZE at scale 10: ~0.5 s per 20,000-row page of payment, external merge sort).
      const cursor = sql.identifier([`totes_changed_${table}_${++cursors}`]);
      await tx.query(
        sql.unsafe`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${selectList(table)} FROM ${id}
          WHERE ${lowerBound} ORDER BY ${lu}, ${pk}`,
      );
      try {
        // FETCH takes no parameter for its count: fixed chunks, re-cut into pages of pageSize.
        let buffer: SourceValue[][] = [];
        let exhausted = false;
        for (;;) {
          while (!exhausted && buffer.length < pageSize) {
            const fetched = await tx.any(sql.unsafe`FETCH FORWARD 1000 FROM ${cursor}`);
            for (const r of fetched) buffer.push(toRow(table, r as Record<string, unknown>));
            if (fetched.length < FETCH_CHUNK_ROWS) exhausted = true;
          }
          if (buffer.length === 0) return;
          const page = buffer.length > pageSize ? buffer.slice(0, pageSize) : buffer;
          buffer = buffer.length > pageSize ? buffer.slice(pageSize) : [];
          yield page;
          if (exhausted && buffer.length === 0) return;
        }
      } finally {
        // Best effort: after a failed FETCH the transaction is aborted and its error is the one to see.
        await tx.query(sql.unsafe`CLOSE ${cursor}`).catch(() => undefined);
      }
    },
    async rowsWhereIn(table, column, ids) {
      if (ids.length === 0) return [];
      if (!SOURCE_TABLES[table].columns.some((c) => c.name === column)) {
        throw new Error(`${table} has no column ${column}`);
      }
      const rows = await tx.any(
        sql.unsafe`SELECT ${selectList(table)} FROM ${sql.identifier([table])}
          WHERE ${sql.identifier([column])} = ANY(${sql.array([...ids], 'int4')})
          ORDER BY ${sql.identifier([SOURCE_TABLES[table].primaryKey])}`,
      );
      return rows.map((r) => toRow(table, r as Record<string, unknown>));
    },
  };
}
