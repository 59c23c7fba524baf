import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One running stack per state folder: two would each hold their own copy of the queues and write
 * over each other's files. `<stateDir>/local-aws.json` names the process that owns the folder and,
 * once started, its endpoints, so another process (e.g. `totes status` while `npm start` runs)
 * can talk to the running stack instead of starting a second one. A claim left by a killed
 * process (its pid no longer alive) is taken over.
 */
export interface RunningLocalAws {
  readonly pid: number;
  readonly startedAt: string;
  readonly endpoints?: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  readonly env?: Readonly<Record<string, string>>;
}

export class StateDirInUseError extends Error {
  override name = 'StateDirInUseError';
  readonly running: RunningLocalAws;

  constructor(stateDir: string, running: RunningLocalAws) {
    super(`state folder ${stateDir} is in use by process ${running.pid} (started ${running.startedAt})`);
    this.running = running;
  }
}

const claimFile = (stateDir: string) => path.join(stateDir, 'local-aws.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(stateDir: string): RunningLocalAws | undefined {
  try {
    const parsed = JSON.parse(readFileSync(claimFile(stateDir), 'utf8')) as RunningLocalAws;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The stack running on this folder (in any process), or undefined when none is. */
export function readRunningLocalAws(stateDir: string): RunningLocalAws | undefined {
  const running = read(path.resolve(stateDir));
  return running && alive(running.pid) ? running : undefined;
}

/** In this process, folders claimed by a live stack (a pid check cannot tell two of ours apart). */
const claimedHere = new Set<string>();

export interface StateDirClaim {
  /** Records the endpoints for other processes. */
  publish(details: Pick<RunningLocalAws, 'endpoints' | 'env'>): void;
  release(): void;
}

export function claimStateDir(stateDir: string): StateDirClaim {
  const file = claimFile(stateDir);
  const startedAt = new Date().toISOString();
  for (let attempt = 0; ; attempt += 1) {
    const existing = read(stateDir);
    if (claimedHere.has(stateDir) || (existing && existing.pid !== process.pid && alive(existing.pid))) {
      throw new StateDirInUseError(stateDir, existing ?? { pid: process.pid, startedAt });
    }
    if (!existing && existsSync(file) && attempt < 3) {
      // Just created by another starter that has not written its pid yet: look again shortly.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    rmSync(file, { force: true });
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, startedAt }), { flag: 'wx' });
      break;
    } catch (error) {
      // Another process created it between our read and write: look again.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
  }
  claimedHere.add(stateDir);
  return {
    publish: (details) => writeFileSync(file, JSON.stringify({ pid: process.pid, startedAt, ...details })),
    release: () => {
      if (read(stateDir)?.pid === process.pid) rmSync(file, { force: true });
      claimedHere.delete(stateDir);
    },
  };
}
