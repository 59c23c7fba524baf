import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writePrivateFile } from '../private-files.ts';
import { type LockHolder, lockStateFolder, StateFolderInUseError, stateFolderHolder } from '../state-lock.ts';

/**
 * One running stack of emulators per state folder: two would each hold their own copy of the
 * queues and write over each other's files. The folder's kernel lock (../state-lock.ts) decides
 * who owns it; `<stateDir>/local-aws.json` (0600) records the owner's endpoints once started, so
 * another process (e.g. `totes dlq list` while `npm start` runs) can talk to the running stack
 * instead of starting a second one. The file is believed only while its writer holds the lock.
 */
export interface RunningLocalAws {
  readonly pid: number;
  readonly startedAt: string;
  readonly endpoints?: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  readonly env?: Readonly<Record<string, string>>;
}

/** Kept under its old name for callers; the lock's error is the one thrown. */
export { StateFolderInUseError as StateDirInUseError };

const claimFile = (stateDir: string) => path.join(stateDir, 'local-aws.json');

function read(stateDir: string): RunningLocalAws | undefined {
  try {
    const parsed = JSON.parse(readFileSync(claimFile(stateDir), 'utf8')) as RunningLocalAws;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The stack running on this folder (in any process), or undefined when none is. */
export async function readRunningLocalAws(stateDir: string): Promise<RunningLocalAws | undefined> {
  const holder: LockHolder | undefined = await stateFolderHolder(path.resolve(stateDir));
  if (!holder) return undefined;
  const running = read(path.resolve(stateDir));
  return running && running.pid === holder.pid ? running : { pid: holder.pid, startedAt: holder.startedAt };
}

export interface StateDirClaim {
  /** Records the endpoints for other processes. */
  publish(details: Pick<RunningLocalAws, 'endpoints' | 'env'>): void;
  release(): Promise<void>;
}

export async function claimStateDir(stateDir: string): Promise<StateDirClaim> {
  const lock = await lockStateFolder(stateDir, 'AWS stand-ins');
  const { pid, startedAt } = lock.holder();
  const file = claimFile(stateDir);
  // Whatever an earlier holder recorded is stale now that the lock is ours.
  rmSync(file, { force: true });
  return {
    publish: (details) => {
      writePrivateFile(file, JSON.stringify({ pid, startedAt, ...details }));
      lock.setPhase('running');
    },
    release: async () => {
      rmSync(file, { force: true });
      await lock.release();
    },
  };
}
