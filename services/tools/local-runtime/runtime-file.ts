import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writePrivateFile } from './private-files.ts';
import { type LockHolder, StateFolderInUseError, stateFolderHolder } from './state-lock.ts';

/**
 * `<state>/runtime.json` (0600): what a running stack tells other commands (`totes status`, `dlq`,
 * `alarms` in another terminal). Written as soon as the state folder's lock is taken (phase
 * `starting`) and again once the stack is up (phase `running`, with endpoints). It never holds a
 * password: database URLs are written with the password removed, and the full URLs go to
 * `<state>/runtime-secrets.json` (0600), read only by a process of the same user that attaches.
 * Both files are believed only while their writer holds the folder's lock (./state-lock.ts).
 */
export interface RuntimeInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly stateDir: string;
  readonly phase: 'starting' | 'running';
  readonly endpoints?: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  /** Database URLs without their passwords (for people and logs). */
  readonly sourceUrl?: string;
  readonly warehouseUrl?: string;
  readonly prefix?: string;
}

/** A running stack as an attaching command needs it: full URLs included. */
export interface RunningRuntime {
  readonly pid: number;
  readonly startedAt: string;
  readonly stateDir: string;
  readonly endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  /** Undefined when the runtime recorded none (then the caller must be given them). */
  readonly sourceUrl: string | undefined;
  readonly warehouseUrl: string | undefined;
  readonly prefix: string;
}

interface RuntimeSecrets {
  readonly pid: number;
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
}

/** The running stack recorded no database URL and none was given (one line). */
export class MissingDatabaseUrlError extends Error {
  override name = 'MissingDatabaseUrlError';
}

export const RUNTIME_FILE = 'runtime.json';
const SECRETS_FILE = 'runtime-secrets.json';

/** The URL with any password removed (`postgres://user@host/db`). */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export function writeRuntimeFiles(
  stateDir: string,
  info: Omit<RuntimeInfo, 'sourceUrl' | 'warehouseUrl'>,
  urls?: { readonly sourceUrl: string; readonly warehouseUrl: string },
): void {
  const visible: RuntimeInfo = {
    ...info,
    ...(urls
      ? { sourceUrl: withoutPassword(urls.sourceUrl), warehouseUrl: withoutPassword(urls.warehouseUrl) }
      : {}),
  };
  if (urls) {
    const secrets: RuntimeSecrets = { pid: info.pid, ...urls };
    writePrivateFile(path.join(stateDir, SECRETS_FILE), JSON.stringify(secrets));
  }
  writePrivateFile(path.join(stateDir, RUNTIME_FILE), `${JSON.stringify(visible, null, 2)}\n`);
}

export function removeRuntimeFiles(stateDir: string): void {
  rmSync(path.join(stateDir, RUNTIME_FILE), { force: true });
  rmSync(path.join(stateDir, SECRETS_FILE), { force: true });
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * The runtime running on `stateDir`, or undefined when no process holds the folder. Throws
 * `StateFolderInUseError` when a process holds it but is not a running stack (one starting, or
 * another command that started the stand-ins): attaching then would race its start.
 */
export async function runningRuntime(stateDir: string): Promise<RunningRuntime | undefined> {
  const holder: LockHolder | undefined = await stateFolderHolder(stateDir);
  if (!holder) return undefined;
  const info = readJson<RuntimeInfo>(path.join(stateDir, RUNTIME_FILE));
  const secrets = readJson<RuntimeSecrets>(path.join(stateDir, SECRETS_FILE));
  if (holder.phase !== 'running' || info?.pid !== holder.pid || info.phase !== 'running' || !info.endpoints) {
    throw new StateFolderInUseError(stateDir, holder);
  }
  return {
    pid: info.pid,
    startedAt: info.startedAt,
    stateDir: info.stateDir,
    endpoints: info.endpoints,
    sourceUrl: secrets?.pid === holder.pid ? secrets.sourceUrl : undefined,
    warehouseUrl: secrets?.pid === holder.pid ? secrets.warehouseUrl : undefined,
    prefix: info.prefix ?? 'totes',
  };
}
