import { readScheduleState, scheduleFile, writeScheduleState } from '../../local-runtime/schedule-control.ts';
import { runningRuntime } from '../../local-runtime/stack.ts';
import { StateFolderInUseError } from '../../local-runtime/state-lock.ts';
import type { ScheduleControl, ScheduleStatus } from './types.ts';

/**
 * The local stack's schedule: the state folder's record, which the running stack reads before
 * each tick (services/tools/local-runtime/schedule-control.ts). Works whether or not `npm start`
 * runs: a pause recorded now also holds for the next start.
 */
export function localSchedule(stateDir: string, clock: () => Date = () => new Date()): ScheduleControl {
  const describe = async (state: { paused: boolean; changedAt: string | null }): Promise<ScheduleStatus> => ({
    target: 'local',
    name: scheduleFile(stateDir),
    state: state.paused ? 'PAUSED' : 'ENABLED',
    expression: null,
    changedAt: state.changedAt,
    runtimeRunning: await runtimeRunning(stateDir),
  });
  return {
    status: async () => describe(readScheduleState(stateDir)),
    pause: async () => describe(writeScheduleState(stateDir, true, clock())),
    resume: async () => describe(writeScheduleState(stateDir, false, clock())),
  };
}

/** A stack runs on the folder (or is starting: it will read the record before its first tick). */
async function runtimeRunning(stateDir: string): Promise<boolean> {
  try {
    return (await runningRuntime(stateDir)) !== undefined;
  } catch (error) {
    if (error instanceof StateFolderInUseError) return true;
    throw error;
  }
}
