export { awsSchedule } from './aws.ts';
export { localSchedule } from './local.ts';
export { renderScheduleStatus } from './render.ts';
export { type ScheduleControl, ScheduleNotFoundError, type ScheduleStatus } from './types.ts';
