import type { ScheduleStatus } from './types.ts';

/** One line: what the schedule does now, and what that means. */
export function renderScheduleStatus(status: ScheduleStatus): string {
  if (status.target === 'aws') {
    const expression = status.expression ? ` (${status.expression})` : '';
    return status.state === 'PAUSED'
      ? `schedule ${status.name}: PAUSED (rule disabled${expression}): no scheduled extract runs`
      : `schedule ${status.name}: ENABLED${expression}`;
  }
  const since = status.changedAt ? ` since ${status.changedAt}` : '';
  const runtime = status.runtimeRunning ? 'the running stack obeys it' : 'no runtime running now';
  return status.state === 'PAUSED'
    ? `local schedule: PAUSED${since}: no scheduled extract runs (${runtime}; record ${status.name})`
    : `local schedule: ENABLED${since} (${runtime})`;
}
