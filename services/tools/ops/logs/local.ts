import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { matches } from './filter.ts';
import { splitEntries, toLogEvent } from './parse.ts';
import { sleepUnlessAborted } from './sleep.ts';
import type { ReadLogsOptions } from './types.ts';

/** Where the local runtime writes the handlers' logs (LocalStack's default logFile). */
export function localLogFile(stateDir: string): string {
  return path.join(stateDir, 'logs', 'pipeline.log');
}

export class NoLogFileError extends Error {
  override name = 'NoLogFileError';
}

const CHUNK = 1024 * 1024;

/**
 * Reads the local log file from the start, then (following) every 0.5 s what was appended,
 * until the signal aborts. An entry still being written stays buffered until it is complete; a
 * file that shrank (deleted and recreated with the state folder) is read again from its start.
 */
export async function readLocalLogs(file: string, options: ReadLogsOptions): Promise<void> {
  const pollMs = options.pollMs ?? 500;
  if (!existsSync(file) && !options.follow) {
    throw new NoLogFileError(`no log file ${file} (has a stack run on this state folder?)`);
  }
  let offset = 0;
  let pending = '';
  let decoder = new StringDecoder('utf8');
  const emit = (entries: readonly string[]) => {
    for (const entry of entries) {
      const event = toLogEvent(entry);
      if (event && matches(event, options.filter)) options.onEvent(event);
    }
  };
  const buffer = Buffer.alloc(CHUNK);
  for (;;) {
    if (existsSync(file)) {
      const size = statSync(file).size;
      if (size < offset) {
        offset = 0;
        pending = '';
        decoder = new StringDecoder('utf8');
      }
      if (size > offset) {
        const fd = openSync(file, 'r');
        try {
          while (offset < size) {
            const read = readSync(fd, buffer, 0, Math.min(CHUNK, size - offset), offset);
            if (read === 0) break;
            offset += read;
            const { entries, rest } = splitEntries(pending + decoder.write(buffer.subarray(0, read)));
            pending = rest;
            emit(entries);
          }
        } finally {
          closeSync(fd);
        }
      }
    }
    if (!options.follow) break;
    if (!(await sleepUnlessAborted(pollMs, options.signal))) break;
  }
  // What is left is complete as far as this reader will ever know.
  emit(splitEntries(pending + decoder.end(), true).entries);
}
