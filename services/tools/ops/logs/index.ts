export { logGroupName, NoLogGroupError, readAwsLogs, runFilterPattern } from './aws.ts';
export { matches, parseLevel } from './filter.ts';
export { localLogFile, NoLogFileError, readLocalLogs } from './local.ts';
export { splitEntries, toLogEvent } from './parse.ts';
export { renderLogEvent } from './render.ts';
export { parseSince } from './since.ts';
export { STAGES } from './stages.ts';
export { LOG_LEVELS, type LogEvent, type LogFilter, type LogLevel, type ReadLogsOptions } from './types.ts';
