import { readScheduleState, scheduleFile, writeScheduleState } from '../../local-runtime/schedule-control.ts';
import { runningRuntime } from '../../local-runtime/stack.ts';
import type { ScheduleControl, ScheduleStatus } from './types.ts';

/**
 * The local stack's schedule: the state folder's record, which the running stack reads before
 * each tick (services/tools/local-runtime/schedule-control.ts). Works whether or not `npm start`
 * runs: a pause recorded now also holds for the next start.
 */
export function localSchedule(stateDir: string, clock: () => Date = () => new Date()): ScheduleControl {
  const describe = (state: { paused: boolean; changedAt: string | null }): ScheduleStatus => ({
    target: 'local',
    name: scheduleFile(stateDir),
    state: state.paused ? 'PAUSED' : 'ENABLED',
    expression: null,
    changedAt: state.changedAt,
    runtimeRunning: runningRuntime(stateDir) !== undefined,
  });
  return {
    status: async () => describe(readScheduleState(stateDir)),
    pause: async () => describe(writeScheduleState(stateDir, true, clock())),
    resume: async () => describe(writeScheduleState(stateDir, false, clock())),
  };
}
