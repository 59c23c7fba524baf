import { createHash } from 'node:crypto';
import { realpathSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';

/**
 * One lock per state folder, held by the process that starts a stack on it or attaches to it
 * without a running stack (then it starts the stand-ins itself). It is a kernel object, not a
 * file: a Unix socket bound in Linux's abstract namespace under a name derived from the folder's
 * real path. Binding is atomic (a second bind fails with EADDRINUSE), and the kernel frees the name
 * the moment its holder dies, however it dies (SIGKILL included), so there is nothing stale to
 * clean up and no pid to trust (pids are reused). Node has no flock(2); this needs no native code.
 *
 * The socket also answers: whoever connects gets the holder's pid, start time, command and phase
 * (`starting` until the stack is up, then `running`), so a second process knows a start is in
 * progress instead of mistaking the starting PostgreSQL for an orphan.
 *
 * Other platforms (no abstract namespace): a socket file `<stateDir>/lock.sock`, taken over when
 * nothing answers on it (a dead holder). That fallback has a narrow race between two takeovers of
 * a dead holder's file; Linux, where the tooling runs, has none.
 */
export type LockPhase = 'starting' | 'running' | 'attached';

export interface LockHolder {
  readonly pid: number;
  readonly startedAt: string;
  /** What holds it, for people: `totes start`, `AWS stand-ins`... */
  readonly command: string;
  readonly phase: LockPhase;
}

/** Another process holds the state folder. One line: who, since when, doing what. */
export class StateFolderInUseError extends Error {
  override name = 'StateFolderInUseError';
  readonly holder: LockHolder;

  constructor(stateDir: string, holder: LockHolder) {
    const doing = `${holder.command}, ${holder.phase === 'starting' ? 'still starting' : holder.phase}`;
    const who =
      holder.pid > 0 ? `pid ${holder.pid} (started ${holder.startedAt}; ${doing})` : 'another process';
    super(`state folder ${stateDir} in use by ${who}`);
    this.holder = holder;
  }
}

/** The lock could not be taken for a reason other than another holder (one line). */
export class StateFolderLockError extends Error {
  override name = 'StateFolderLockError';
}

export interface StateFolderLock {
  readonly stateDir: string;
  holder(): LockHolder;
  setPhase(phase: LockPhase): void;
  release(): Promise<void>;
}

const ANSWER_TIMEOUT_MS = 2_000;
const UNKNOWN_HOLDER: LockHolder = {
  pid: 0,
  startedAt: 'unknown',
  command: 'another process',
  phase: 'starting',
};

function lockAddress(stateDir: string): { address: string; file?: string } {
  let real: string;
  try {
    real = realpathSync(stateDir);
  } catch {
    real = path.resolve(stateDir);
  }
  if (process.platform === 'linux') {
    const digest = createHash('sha256').update(real).digest('hex').slice(0, 40);
    return { address: `\0totes-state-${digest}` };
  }
  const file = path.join(real, 'lock.sock');
  return { address: file, file };
}

/** Asks the holder of the folder's lock who it is; undefined when nobody holds it. */
export async function stateFolderHolder(stateDir: string): Promise<LockHolder | undefined> {
  const { address } = lockAddress(stateDir);
  return new Promise((resolve) => {
    const socket = connect(address);
    let text = '';
    let connected = false;
    socket.on('connect', () => {
      connected = true;
    });
    const timer = setTimeout(() => socket.destroy(), ANSWER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    // ECONNREFUSED / ENOENT: nobody holds it ('close' follows and resolves).
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(text) as LockHolder;
        resolve(typeof parsed.pid === 'number' ? parsed : undefined);
      } catch {
        // Connected but no answer in time: held, by a holder too busy to say who it is.
        resolve(connected ? UNKNOWN_HOLDER : undefined);
      }
    });
  });
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Takes the folder's lock, or throws `StateFolderInUseError` naming the holder. The folder must
 * exist. Released by `release()`, or by the kernel when this process dies.
 */
export async function lockStateFolder(
  stateDir: string,
  command: string,
  phase: LockPhase = 'starting',
): Promise<StateFolderLock> {
  const { address, file } = lockAddress(stateDir);
  let current: LockHolder = { pid: process.pid, startedAt: new Date().toISOString(), command, phase };
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.end(JSON.stringify(current));
  });
  // The lock must not keep a finished command alive.
  server.unref();
  for (let attempt = 0; ; attempt += 1) {
    try {
      await listen(server, address);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') {
        throw new StateFolderLockError(`cannot lock state folder ${stateDir}: ${(error as Error).message}`);
      }
      const holder = await stateFolderHolder(stateDir);
      if (holder) throw new StateFolderInUseError(stateDir, holder);
      // A socket file nobody answers on (other platforms): its holder died; take it over once.
      if (file !== undefined && attempt === 0) {
        rmSync(file, { force: true });
        continue;
      }
      throw new StateFolderInUseError(stateDir, UNKNOWN_HOLDER);
    }
  }
  let released: Promise<void> | undefined;
  return {
    stateDir,
    holder: () => current,
    setPhase: (next) => {
      current = { ...current, phase: next };
    },
    release: () => {
      released ??= new Promise<void>((resolve) => server.close(() => resolve())).then(() => {
        if (file !== undefined) rmSync(file, { force: true });
      });
      return released;
    },
  };
}
