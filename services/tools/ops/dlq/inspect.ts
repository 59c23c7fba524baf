/**
 * `dlq list` and `dlq show`: depths and ages of every DLQ; for each message the object it is
 * about and why it failed, joined from the failure records (shared/failures) on stage +
 * bucket/key parsed from the notification body.
 */
import type { AttemptStart, FailureRecord } from '../../../../shared/failures/index.ts';
import { messageSubject } from './body.ts';
import { escapeForTerminal as e } from './escape.ts';
import type { DlqInfo, OpsTarget } from './target.ts';

export interface DlqListEntry {
  /** The DLQ's name, as the other `dlq` commands take it. */
  readonly queue: string;
  readonly depth: number;
  readonly inFlight: number;
  readonly oldestAgeSeconds: number | null;
  /** Where `redrive` sends messages back to. */
  readonly source: string | null;
  readonly stage: string | null;
}

export async function listDlqs(target: OpsTarget): Promise<DlqListEntry[]> {
  const entries: DlqListEntry[] = [];
  for (const dlq of await target.dlqs()) {
    const depth = await target.depth(dlq);
    entries.push({
      queue: dlq.name,
      depth: depth.visible + depth.delayed,
      inFlight: depth.inFlight,
      oldestAgeSeconds: await target.oldestAgeSeconds(dlq),
      source: dlq.source?.name ?? null,
      stage: dlq.stage,
    });
  }
  return entries;
}

export interface DlqMessageView {
  readonly messageId: string;
  /** First object the notification names (`bucket/key`), null if it names none. */
  readonly object: string | null;
  readonly key: string | null;
  /** Every object named (a notification may carry several). */
  readonly objects: readonly string[];
  readonly receiveCount: number;
  readonly sentAt: string | null;
  readonly note?: string;
  /** The latest recorded failure of the object, null when none is recorded (or it expired). */
  readonly failure: {
    readonly errorClass: string;
    readonly rootErrorClass: string;
    readonly errorMessage: string;
    readonly failedAt: string;
    readonly attempt: number;
    readonly messageId: string;
  } | null;
  /**
   * The latest attempt, when it started after the last recorded failure and never finished (the
   * function timed out or its container died): no failure record can say why.
   */
  readonly unfinished?: {
    readonly startedAt: string;
    readonly attempt: number;
    readonly timeoutSeconds: number | null;
  };
  /** Reading this message's records failed (the rest of the listing is unaffected). */
  readonly lookupError?: string;
}

function failureView(record: FailureRecord | undefined): DlqMessageView['failure'] {
  if (!record) return null;
  return {
    errorClass: record.errorClass,
    rootErrorClass: record.rootErrorClass,
    errorMessage: record.errorMessage,
    failedAt: record.failedAt,
    attempt: record.attempt,
    messageId: record.messageId,
  };
}

export async function showDlq(target: OpsTarget, dlq: DlqInfo, limit: number): Promise<DlqMessageView[]> {
  const messages = await target.peek(dlq, limit);
  const views: DlqMessageView[] = [];
  for (const message of messages) {
    const subject = messageSubject(message.body);
    const first = subject.objects[0];
    let failure: FailureRecord | undefined;
    let start: AttemptStart | undefined;
    let lookupError: string | undefined;
    if (dlq.stage) {
      // One message's records failing to read (a throttled table, an item no longer valid) is
      // reported on that message; the others are still shown.
      try {
        for (const object of subject.objects) {
          failure = await target.failures.get(dlq.stage, object.bucket, object.key);
          start = await target.failures.getStart(dlq.stage, object.bucket, object.key);
          if (failure || start) break;
        }
      } catch (error) {
        lookupError =
          `${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}`.slice(0, 2000);
      }
    }
    const unfinished =
      start && (!failure || start.attempt > failure.attempt || start.startedAt > failure.failedAt)
        ? { startedAt: start.startedAt, attempt: start.attempt, timeoutSeconds: start.timeoutSeconds }
        : undefined;
    views.push({
      messageId: message.messageId,
      object: first ? `${first.bucket}/${first.key}` : null,
      key: first?.key ?? null,
      objects: subject.objects.map((o) => `${o.bucket}/${o.key}`),
      receiveCount: message.receiveCount,
      sentAt: message.sentAt,
      ...(subject.note ? { note: subject.note } : {}),
      failure: failureView(failure),
      ...(unfinished ? { unfinished } : {}),
      ...(lookupError ? { lookupError } : {}),
    });
  }
  return views;
}

/** A poison key can be 262,000 characters: show 1 KB of it and its length. */
const shorten = (text: string) =>
  text.length <= 1024 ? text : `${text.slice(0, 1024)}… (${text.length} characters)`;

const age = (seconds: number | null) =>
  seconds === null
    ? '-'
    : seconds < 120
      ? `${seconds}s`
      : seconds < 7200
        ? `${Math.round(seconds / 60)}m`
        : `${Math.round(seconds / 3600)}h`;

export function renderDlqList(entries: readonly DlqListEntry[]): string {
  if (entries.length === 0) return 'no DLQs found';
  const width = Math.max(...entries.map((e) => e.queue.length), 5);
  const lines = [`${'queue'.padEnd(width)}  depth  in-flight  oldest  source`];
  for (const entry of entries) {
    lines.push(
      `${e(entry.queue).padEnd(width)}  ${String(entry.depth).padStart(5)}  ${String(entry.inFlight).padStart(9)}  ${age(entry.oldestAgeSeconds).padStart(6)}  ${e(entry.source ?? '-')}`,
    );
  }
  return lines.join('\n');
}

export function renderDlqShow(queue: string, views: readonly DlqMessageView[]): string {
  if (views.length === 0) return `${queue}: empty`;
  const lines: string[] = [`${e(queue)}: ${views.length} message(s) (peeked; all still in the queue)`];
  for (const v of views) {
    lines.push('');
    lines.push(`message ${e(v.messageId)}`);
    lines.push(`  object:        ${e(v.objects.length ? shorten(v.objects.join(', ')) : (v.note ?? '-'))}`);
    lines.push(`  receive count: ${v.receiveCount}`);
    lines.push(`  first sent:    ${e(v.sentAt ?? '-')}`);
    if (v.lookupError) lines.push(`  records:       could not be read: ${e(v.lookupError)}`);
    if (v.unfinished) {
      const timeout =
        v.unfinished.timeoutSeconds === null
          ? "the function's timeout"
          : `the function's timeout (${v.unfinished.timeoutSeconds} s)`;
      lines.push(
        `  last attempt:  started at ${e(v.unfinished.startedAt)} (attempt ${v.unfinished.attempt}), no result: timed out after ${timeout}, or its container died`,
      );
    }
    if (v.failure) {
      lines.push(`  last failure:  ${e(v.failure.failedAt)} (attempt ${v.failure.attempt})`);
      lines.push(
        `  error:         ${e(v.failure.errorClass)}${v.failure.rootErrorClass !== v.failure.errorClass ? ` (root ${e(v.failure.rootErrorClass)})` : ''}`,
      );
      lines.push(`  message:       ${e(v.failure.errorMessage)}`);
    } else if (v.unfinished || v.lookupError) {
      // Said above.
    } else {
      lines.push(
        '  last failure:  no failure record (expired, cleared by a later success, or never written)',
      );
    }
  }
  return lines.join('\n');
}
