import type { LogEvent } from './types.ts';

/** Keys shown in the line's own columns (or too noisy for one line), not repeated at its end. */
const SHOWN = new Set([
  'timestamp',
  'level',
  'message',
  'service',
  'stage',
  'runId',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

/** One readable line: time, level, stage, run id, message, then the other fields as compact JSON. */
export function renderLogEvent(event: LogEvent): string {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.fields ?? {})) if (!SHOWN.has(key)) extra[key] = value;
  const tail = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
  const message = event.message.replace(/\s*\n\s*/g, ' ');
  return [
    event.time,
    (event.level ?? '-').padEnd(5),
    (event.stage ?? '-').padEnd(9),
    event.runId ?? '-',
    `${message}${tail}`,
  ].join(' ');
}
