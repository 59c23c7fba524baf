import { STAGES } from './stages.ts';
import type { LogEvent } from './types.ts';

/**
 * Splitting a log stream into entries. The local log file holds Powertools entries written
 * through `console` (one JSON object per line, or indented over several lines when POWERTOOLS_DEV
 * pretty-prints), EMF metric blobs and the odd text line; CloudWatch messages are one entry each,
 * possibly behind Lambda's text prefix (`time\trequestId\tLEVEL\t{...}`). Objects are found by
 * brace depth outside strings, so a `{` inside a message does not confuse the split.
 */

/** A chunk of text that never closes is given up on after this many characters. */
const MAX_ENTRY_CHARS = 1024 * 1024;

export interface SplitResult {
  /** Complete entries: JSON object texts and text lines, in order. */
  readonly entries: string[];
  /** The unfinished tail (an object or a line still being written): feed it again with more text. */
  readonly rest: string;
}

/** End index (exclusive) of the JSON object starting at `start`, or -1 when it does not close. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  let escaped = false;
  const limit = Math.min(text.length, start + MAX_ENTRY_CHARS);
  for (let i = start; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i + 1;
  }
  return limit === start + MAX_ENTRY_CHARS ? -2 : -1;
}

export function splitEntries(text: string, final = false): SplitResult {
  const entries: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = text.indexOf('\n', pos);
    const line = text.slice(pos, lineEnd < 0 ? text.length : lineEnd);
    if (line.trim() === '') {
      if (lineEnd < 0) break;
      pos = lineEnd + 1;
      continue;
    }
    if (line.trimStart().startsWith('{')) {
      const start = pos + line.indexOf('{');
      const end = objectEnd(text, start);
      if (end === -1 && !final) return { entries, rest: text.slice(pos) };
      if (end > 0) {
        entries.push(text.slice(start, end));
        pos = end;
        continue;
      }
      // Never closes (or too long): the line is just text.
    }
    if (lineEnd < 0 && !final) return { entries, rest: text.slice(pos) };
    entries.push(line);
    pos = lineEnd < 0 ? text.length : lineEnd + 1;
  }
  return { entries, rest: '' };
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function stageOf(fields: Record<string, unknown>): LogEvent['stage'] {
  const direct = str(fields.stage);
  if (direct && (STAGES as readonly string[]).includes(direct)) return direct as LogEvent['stage'];
  for (const name of [str(fields.service), str(fields.function_name)]) {
    const last = name?.split('-').at(-1);
    if (last && (STAGES as readonly string[]).includes(last)) return last as LogEvent['stage'];
  }
  return null;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * One entry as an event; null for what is not a log line (EMF metric blobs, blank text).
 * `context` gives what the source knows when the entry does not say (CloudWatch: the log group's
 * stage and the event's timestamp).
 */
export function toLogEvent(
  entry: string,
  context: { stage?: LogEvent['stage']; time?: string } = {},
): LogEvent | null {
  const brace = entry.indexOf('{');
  const fields = brace >= 0 && entry.trimEnd().endsWith('}') ? parseObject(entry.slice(brace)) : null;
  if (fields) {
    // Embedded Metric Format: metrics, not a log entry.
    if ('_aws' in fields && !('message' in fields)) return null;
    const timestamp = str(fields.timestamp);
    return {
      time: timestamp ?? context.time ?? new Date(0).toISOString(),
      level: str(fields.level)?.toUpperCase() ?? null,
      stage: stageOf(fields) ?? context.stage ?? null,
      runId: str(fields.runId),
      message: typeof fields.message === 'string' ? fields.message : JSON.stringify(fields.message ?? ''),
      fields,
    };
  }
  const text = entry.trim();
  if (text === '') return null;
  return {
    time: context.time ?? new Date(0).toISOString(),
    level: null,
    stage: context.stage ?? null,
    runId: null,
    message: text,
    fields: null,
  };
}
