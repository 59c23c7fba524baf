import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The local counterpart of enabling / disabling the EventBridge rule: a small record in the state
 * folder (`schedule.json`, mode 0600) that the running stack's schedule reads before each tick.
 * A file, not a message to the process, so `totes schedule pause` works whether or not
 * `npm start` runs, and a pause survives a restart exactly as a disabled rule survives a deploy.
 */

export const SCHEDULE_FILE = 'schedule.json';

export interface LocalScheduleState {
  readonly paused: boolean;
  /** When the state last changed (ISO), null: never changed (the default, running). */
  readonly changedAt: string | null;
}

export class ScheduleStateError extends Error {
  override name = 'ScheduleStateError';
}

export function scheduleFile(stateDir: string): string {
  return path.join(stateDir, SCHEDULE_FILE);
}

/** The schedule state of a state folder; a missing file means running. */
export function readScheduleState(stateDir: string): LocalScheduleState {
  const file = scheduleFile(stateDir);
  if (!existsSync(file)) return { paused: false, changedAt: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ScheduleStateError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  const record = parsed as Partial<LocalScheduleState> | null;
  if (!record || typeof record.paused !== 'boolean') {
    throw new ScheduleStateError(`${file} has no boolean "paused"`);
  }
  return {
    paused: record.paused,
    changedAt: typeof record.changedAt === 'string' ? record.changedAt : null,
  };
}

/** Records the state atomically with private permissions (the state folder is 0700, the file 0600). */
export function writeScheduleState(stateDir: string, paused: boolean, now = new Date()): LocalScheduleState {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const state: LocalScheduleState = { paused, changedAt: now.toISOString() };
  const file = scheduleFile(stateDir);
  // Created 0600 (never readable by others, even briefly), then renamed over the old record.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return state;
}

/**
 * What the running schedule asks before each tick. An unreadable record counts as paused: the
 * operator was changing it, and an extract that should not have run is worse than one run late.
 */
export function schedulePausedCheck(stateDir: string): () => boolean {
  return () => {
    try {
      return readScheduleState(stateDir).paused;
    } catch {
      return true;
    }
  };
}
