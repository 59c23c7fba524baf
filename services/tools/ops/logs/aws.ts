import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Stage } from '../../../../shared/config/resources.ts';
import { matches } from './filter.ts';
import { toLogEvent } from './parse.ts';
import { sleepUnlessAborted } from './sleep.ts';
import { STAGES } from './stages.ts';
import type { LogEvent, ReadLogsOptions } from './types.ts';

/** The log group infra-terraform/lambda.tf gives each function. */
export function logGroupName(prefix: string, stage: Stage): string {
  return `/aws/lambda/${prefix}-${stage}`;
}

export class NoLogGroupError extends Error {
  override name = 'NoLogGroupError';
}

/** Longest wait between two polls when CloudWatch throttles (FilterLogEvents has a low TPS quota). */
const MAX_POLL_MS = 30_000;

function isThrottle(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return name === 'ThrottlingException' || name === 'LimitExceededException';
}

/** A CloudWatch filter pattern that lets only the run's structured entries through. */
export function runFilterPattern(runId: string): string {
  return `{ $.runId = "${runId.replace(/["\\]/g, '')}" }`;
}

interface GroupCursor {
  readonly stage: Stage;
  readonly group: string;
  /** Events at or after this time are asked for next (ms). */
  from: number;
  /** Event ids already shown at `from` (CloudWatch's startTime is inclusive). */
  seenAtFrom: Set<string>;
  missing: boolean;
}

/** Every page of one FilterLogEvents query (nextToken until absent). */
async function fetchGroup(
  client: CloudWatchLogsClient,
  cursor: GroupCursor,
  filterPattern: string | undefined,
  signal: AbortSignal | undefined,
): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({
        logGroupName: cursor.group,
        startTime: cursor.from,
        ...(filterPattern ? { filterPattern } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken && !signal?.aborted);
  return events;
}

/**
 * The stages' CloudWatch Logs (`/aws/lambda/<prefix>-<stage>`), FilterLogEvents from `--since`
 * with every page; following, the same query again from the newest event seen, every `pollMs`
 * (doubling up to 30 s while throttled), until the signal aborts. Events of several groups are
 * shown in time order within each poll.
 */
export async function readAwsLogs(
  client: CloudWatchLogsClient,
  prefix: string,
  options: ReadLogsOptions,
): Promise<void> {
  const { filter } = options;
  const basePollMs = options.pollMs ?? 2000;
  const stages = filter.stage ? [filter.stage] : [...STAGES];
  const cursors: GroupCursor[] = stages.map((stage) => ({
    stage,
    group: logGroupName(prefix, stage),
    from: filter.sinceMs ?? 0,
    seenAtFrom: new Set(),
    missing: false,
  }));
  const pattern = filter.runId ? runFilterPattern(filter.runId) : undefined;
  let pollMs = basePollMs;
  for (let first = true; ; first = false) {
    const batch: { event: LogEvent; at: number }[] = [];
    let throttled = false;
    for (const cursor of cursors) {
      if (cursor.missing) continue;
      let raw: FilteredLogEvent[];
      try {
        raw = await fetchGroup(client, cursor, pattern, options.signal);
      } catch (error) {
        if (options.signal?.aborted) return;
        if (
          error instanceof ResourceNotFoundException ||
          (error as { name?: string }).name === 'ResourceNotFoundException'
        ) {
          cursor.missing = true;
          continue;
        }
        if (options.follow && isThrottle(error)) {
          throttled = true;
          continue;
        }
        throw error;
      }
      for (const e of raw) {
        const at = e.timestamp ?? 0;
        const id = e.eventId ?? `${at}:${e.logStreamName}:${e.message}`;
        if (at < cursor.from || (at === cursor.from && cursor.seenAtFrom.has(id))) continue;
        if (at > cursor.from) {
          cursor.from = at;
          cursor.seenAtFrom = new Set();
        }
        cursor.seenAtFrom.add(id);
        const event = toLogEvent(e.message ?? '', { stage: cursor.stage, time: new Date(at).toISOString() });
        if (event && matches(event, filter)) batch.push({ event, at });
      }
    }
    if (first && cursors.every((c) => c.missing)) {
      throw new NoLogGroupError(
        `no log group ${cursors.map((c) => c.group).join(', ')} in this account and region (wrong --prefix or AWS_REGION?)`,
      );
    }
    batch.sort((a, b) => a.at - b.at);
    for (const { event } of batch) options.onEvent(event);
    if (!options.follow) return;
    pollMs = throttled ? Math.min(pollMs * 2, MAX_POLL_MS) : basePollMs;
    if (!(await sleepUnlessAborted(pollMs, options.signal))) return;
  }
}
