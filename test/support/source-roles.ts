/**
 * Least-privileged roles on a test source database, as a real totesys hands them out: a writer
 * (the application: SELECT, INSERT, UPDATE and its sequences) and the extract's own role (SELECT on
 * the tables, nothing else). Role names are unique per call (roles are cluster-wide).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabasePool, sql } from 'slonik';
import { createDatabasePool } from '../../shared/db/pool.ts';
import type { TestDatabase } from './database.ts';

export interface SourceRoles {
  readonly writerRole: string;
  readonly extractRole: string;
  /** Connection URL of the source database as the extract role. */
  readonly extractUrl: string;
  /** A pool of the source database as the writer role, and its URL. */
  readonly writer: DatabasePool;
  readonly writerUrl: string;
  /** GRANT / REVOKE pg_read_all_stats to the extract role: it then sees every session's state. */
  setReadAllStats(granted: boolean): Promise<void>;
  /** Closes the writer pool, drops what the roles were granted and the roles (before the database). */
  drop(): Promise<void>;
}

function urlAs(databaseUrl: string, user: string, password: string): string {
  const url = new URL(databaseUrl);
  url.username = user;
  url.password = password;
  return url.toString();
}

/** Creates the roles and grants them their rights on the tables that exist now (seed first). */
export async function createSourceRoles(source: TestDatabase): Promise<SourceRoles> {
  const suffix = randomBytes(4).toString('hex');
  const writerRole = `totes_writer_${suffix}`;
  const extractRole = `totes_extract_${suffix}`;
  const passwords = { writer: randomBytes(12).toString('hex'), extract: randomBytes(12).toString('hex') };
  // CREATE ROLE takes no parameters: the driver's own quoting, as for CREATE DATABASE.
  const admin = new pg.Client({ connectionString: source.url });
  await admin.connect();
  try {
    for (const [role, password] of [
      [writerRole, passwords.writer],
      [extractRole, passwords.extract],
    ] as const) {
      await admin.query(
        `CREATE ROLE ${admin.escapeIdentifier(role)} LOGIN PASSWORD ${admin.escapeLiteral(password)}`,
      );
    }
  } finally {
    await admin.end();
  }
  const writer = sql.identifier([writerRole]);
  const extract = sql.identifier([extractRole]);
  await source.pool.query(sql.unsafe`GRANT USAGE ON SCHEMA public TO ${writer}, ${extract}`);
  await source.pool.query(
    sql.unsafe`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${writer}`,
  );
  await source.pool.query(sql.unsafe`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${writer}`);
  await source.pool.query(sql.unsafe`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${extract}`);
  const writerUrl = urlAs(source.url, writerRole, passwords.writer);
  const writerPool = await createDatabasePool(writerUrl, { applicationName: 'totesys-app' });
  return {
    writerRole,
    extractRole,
    extractUrl: urlAs(source.url, extractRole, passwords.extract),
    writer: writerPool,
    writerUrl,
    async setReadAllStats(granted) {
      await source.pool.query(
        granted
          ? sql.unsafe`GRANT pg_read_all_stats TO ${extract}`
          : sql.unsafe`REVOKE pg_read_all_stats FROM ${extract}`,
      );
    },
    async drop() {
      await writerPool.end();
      await source.pool.query(sql.unsafe`DROP OWNED BY ${writer}, ${extract}`);
      await source.pool.query(sql.unsafe`DROP ROLE ${writer}, ${extract}`);
    },
  };
}
