/**
 * Queries against the totesys source. Only the eleven tables of SOURCE_TABLES are ever named (any
 * other table, such as `_prisma_migrations`, is ignored), identifiers are always quoted, and values
 * come back losslessly: int → number, numeric → decimal text, timestamp → 'YYYY-MM-DD HH:MM:SS.mmm',
 * boolean → boolean, NULL → null.
 */
import { type DatabasePool, type DatabaseTransactionConnection, type ListSqlToken, sql } from 'slonik';
import { z } from 'zod';
import type { SourceValue } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import type { TransactionsInProgress } from './horizon.ts';
import type { SourceEnvironment } from './source-observability.ts';

const US_FORMAT = 'YYYY-MM-DD HH24:MI:SS.US';
const MS_FORMAT = 'YYYY-MM-DD HH24:MI:SS.MS';

/** Everything one reading of the source shows (taken before the snapshot; see readSource). */
export interface SourceReading extends TransactionsInProgress, SourceEnvironment {
  /** The database's now() (UTC wall clock, microseconds). */
  readonly now: string;
  /** xact_start of the oldest other open transaction of this database the role can see, or null. */
  readonly oldestOpenTransaction: string | null;
}

const text = z.string();
const nullableText = z.string().nullable();
const count = z.union([z.number(), z.string()]).transform(Number);

const InProgressRow = z.object({
  transactions: z.array(z.string()),
  preparedTransactions: count,
  serverStart: text,
});

const ReadingRow = InProgressRow.extend({
  now: text,
  oldestOpenTransaction: nullableText,
  role: text,
  database: text,
  inRecovery: z.boolean(),
  timeZone: text,
  timeZoneSettings: z.array(z.object({ role: nullableText, database: nullableText, value: text })),
  seesAllSessions: z.boolean(),
  hiddenSessions: count,
});

/**
 * The transactions in progress in this database, readable by any role: pg_locks lists the lock
 * every transaction holds on its own virtual id from start to end (with or without a real xid yet),
 * and pg_stat_activity's datname (visible for every session) keeps other databases' transactions
 * out. A lock whose session is unknown counts (conservative). Prepared transactions hold no virtual
 * id: they are counted from pg_prepared_xacts.
 */
const IN_PROGRESS = sql.fragment`
      (SELECT coalesce(array_agg(l.virtualxid ORDER BY l.virtualxid), '{}')
         FROM pg_locks l
         LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'virtualxid' AND l.mode = 'ExclusiveLock' AND l.granted
          AND l.pid IS DISTINCT FROM pg_backend_pid()
          AND coalesce(a.datname = current_database(), true)) AS "transactions",
      (SELECT count(*) FROM pg_prepared_xacts p WHERE p.database = current_database()) AS "preparedTransactions",
      to_char(pg_postmaster_start_time() AT TIME ZONE 'UTC', ${US_FORMAT}) AS "serverStart"`;

/**
 * One reading of the source, in ONE statement and BEFORE the snapshot is taken (outside its
 * transaction): the clock (now() is fixed when the statement starts, before the transactions are
 * listed), the transactions in progress (horizon.ts), the oldest open transaction the role can see
 * (pg_stat_activity hides other roles' xact_start without pg_read_all_stats), and what the extract
 * cannot observe (source-observability.ts).
 */
export async function readSource(pool: DatabasePool): Promise<SourceReading> {
  return ReadingRow.parse(
    await pool.one(sql.type(ReadingRow)`
    SELECT
      to_char(now() AT TIME ZONE 'UTC', ${US_FORMAT}) AS "now",
      ${IN_PROGRESS},
      (SELECT to_char(min(a.xact_start) AT TIME ZONE 'UTC', ${US_FORMAT})
         FROM pg_stat_activity a
        WHERE a.datname = current_database()
          AND a.pid <> pg_backend_pid()
          AND a.backend_type = 'client backend'
          AND a.xact_start IS NOT NULL) AS "oldestOpenTransaction",
      current_user::text AS "role",
      current_database()::text AS "database",
      pg_is_in_recovery() AS "inRecovery",
      current_setting('TimeZone') AS "timeZone",
      (SELECT coalesce(json_agg(json_build_object(
                'role', r.rolname::text, 'database', d.datname::text, 'value', substr(cfg, strpos(cfg, '=') + 1))
                ORDER BY r.rolname, d.datname), '[]'::json)
         FROM pg_db_role_setting s
         CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
         LEFT JOIN pg_roles r ON r.oid = s.setrole
         LEFT JOIN pg_database d ON d.oid = s.setdatabase
        WHERE (s.setdatabase = 0 OR d.datname = current_database())
          AND lower(cfg) LIKE 'timezone=%') AS "timeZoneSettings",
      pg_has_role('pg_read_all_stats', 'USAGE') AS "seesAllSessions",
      -- Without the privilege, other roles' sessions show no backend_type (nor state, xact_start).
      (SELECT count(*)
         FROM pg_stat_activity a
        WHERE a.datname = current_database()
          AND a.pid <> pg_backend_pid()
          AND a.backend_type IS NULL) AS "hiddenSessions"`),
  );
}

/** Only the transactions in progress: a later look, while waiting for the reading's to end. */
export async function readTransactionsInProgress(pool: DatabasePool): Promise<TransactionsInProgress> {
  return InProgressRow.parse(await pool.one(sql.type(InProgressRow)`SELECT ${IN_PROGRESS}`));
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
  /**
   * Rows with last_updated >= from (all rows when from is null), in (last_updated, id) order, in
   * pages of at most pageSize. `after`: rows stamped exactly `from` with an id up to it are skipped
   * (keyset). `limit`: at most this many rows (a run's row budget).
   */
  changedRows(
    table: SourceTableName,
    from: string | null,
    pageSize: number,
    options?: { readonly after?: number | null; readonly limit?: number },
  ): AsyncGenerator<SourceValue[][]>;
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
    const now = await tx.oneFirst(
      sql.type(
        z.object({ now: z.string() }),
      )`SELECT to_char(now() AT TIME ZONE 'UTC', ${MS_FORMAT}) AS "now"`,
    );
    return work(snapshotReader(tx, now));
  }, 0);
}

/** Rows per FETCH of a changed-rows cursor (the literal in the FETCH statement). */
const FETCH_CHUNK_ROWS = 1000;

function snapshotReader(tx: DatabaseTransactionConnection, now: string): SnapshotReader {
  let cursors = 0;
  return {
    now,
    async *changedRows(table, from, pageSize, options = {}) {
      if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`bad page size ${pageSize}`);
      const { after = null, limit } = options;
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
        throw new RangeError(`bad row limit ${limit}`);
      const id = sql.identifier([table]);
      // Qualified: the select list aliases last_updated to its text form.
      const pk = sql.identifier([table, SOURCE_TABLES[table].primaryKey]);
      const lu = sql.identifier([table, 'last_updated']);
      const lowerBound =
        from === null
          ? sql.fragment`TRUE`
          : after === null
            ? sql.fragment`${lu} >= ${from}::timestamp(3) without time zone`
            : sql.fragment`(${lu}, ${pk}) > (${from}::timestamp(3) without time zone, ${after}::int)`;
      // With a budget PostgreSQL sorts only the first `limit` rows (top-N heapsort).
      const limited = limit === undefined ? sql.fragment`` : sql.fragment`LIMIT ${limit}`;
      // One server-side cursor per table inside the snapshot: the table is scanned and sorted once
      // and fetched in pages (bounded memory). Keyset pages (one query per page) re-scanned and
      // re-sorted the whole table for every page: the source has no index on last_updated
      // (EXPLAIN ANALYZE at scale 10: ~0.5 s per 20,000-row page of payment, external merge sort).
      const cursor = sql.identifier([`totes_changed_${table}_${++cursors}`]);
      await tx.query(
        sql.unsafe`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${selectList(table)} FROM ${id}
          WHERE ${lowerBound} ORDER BY ${lu}, ${pk} ${limited}`,
      );
      // A cursor whose whole result came in its first FETCH (an incremental run's usual case) is
      // left to the snapshot's COMMIT to close: its sort is small and in memory, and the CLOSE was
      // one more round trip per table on every run's latency. A larger one is closed at once.
      let smallAndDone = false;
      try {
        // FETCH takes no parameter for its count: fixed chunks, re-cut into pages of pageSize.
        let buffer: SourceValue[][] = [];
        let exhausted = false;
        let fetches = 0;
        for (;;) {
          while (!exhausted && buffer.length < pageSize) {
            // Untyped: every changed source row streams through here; toRow checks each value's kind.
            const fetched = await tx.any(sql.unsafe`FETCH FORWARD 1000 FROM ${cursor}`);
            fetches++;
            for (const r of fetched) buffer.push(toRow(table, r as Record<string, unknown>));
            if (fetched.length < FETCH_CHUNK_ROWS) {
              exhausted = true;
              smallAndDone = fetches === 1;
            }
          }
          if (buffer.length === 0) return;
          const page = buffer.length > pageSize ? buffer.slice(0, pageSize) : buffer;
          buffer = buffer.length > pageSize ? buffer.slice(pageSize) : [];
          yield page;
          if (exhausted && buffer.length === 0) return;
        }
      } finally {
        // Best effort: after a failed FETCH the transaction is aborted and its error is the one to see.
        if (!smallAndDone) await tx.query(sql.unsafe`CLOSE ${cursor}`).catch(() => undefined);
      }
    },
    async rowsWhereIn(table, column, ids) {
      if (ids.length === 0) return [];
      if (!SOURCE_TABLES[table].columns.some((c) => c.name === column)) {
        throw new Error(`${table} has no column ${column}`);
      }
      // Untyped: partner rows of a whole unit stream through here; toRow checks each value's kind.
      const rows = await tx.any(
        sql.unsafe`SELECT ${selectList(table)} FROM ${sql.identifier([table])}
          WHERE ${sql.identifier([column])} = ANY(${sql.array([...ids], 'int4')})
          ORDER BY ${sql.identifier([SOURCE_TABLES[table].primaryKey])}`,
      );
      return rows.map((r) => toRow(table, r as Record<string, unknown>));
    },
  };
}
