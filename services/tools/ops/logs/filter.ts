import { LOG_LEVELS, type LogEvent, type LogFilter, type LogLevel } from './types.ts';

const rank = (level: string): number => {
  // Powertools' own names, plus the usual aliases.
  const normal = level === 'WARNING' ? 'WARN' : level === 'FATAL' ? 'CRITICAL' : level;
  return LOG_LEVELS.indexOf(normal as LogLevel);
};

/** Whether the event passes the filter. Text lines (no level, no run id) pass only unfiltered. */
export function matches(event: LogEvent, filter: LogFilter): boolean {
  if (filter.stage && event.stage !== filter.stage) return false;
  if (filter.sinceMs !== undefined) {
    const at = Date.parse(event.time);
    if (!Number.isNaN(at) && at < filter.sinceMs) return false;
  }
  if (filter.runId && event.runId !== filter.runId) return false;
  if (filter.level) {
    if (event.level === null) return false;
    const r = rank(event.level);
    if (r >= 0 && r < rank(filter.level)) return false;
  }
  return true;
}

/** `--level` value: one of LOG_LEVELS, any case; undefined when not one. */
export function parseLevel(value: string): LogLevel | undefined {
  const upper = value.toUpperCase() === 'WARNING' ? 'WARN' : value.toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : undefined;
}
