/**
 * Moving messages out of a DLQ: redrive (back to the source queue) and purge.
 *
 * The mover is receive → (backup) → send → delete, one message at a time, deleting from the DLQ
 * only what was sent. An interruption at any point loses nothing: before the send the message is
 * still in the DLQ (it reappears after the visibility timeout); between send and delete it is in
 * both queues, and the consumer's idempotency (keyed on the object version, not the message id)
 * makes the second copy a no-op.
 *
 * On AWS, `redrive --all` (without --backup) uses StartMessageMoveTask instead and follows it with
 * ListMessageMoveTasks; an abort (Ctrl-C) cancels it with CancelMessageMoveTask.
 */
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { type BackupRecord, BackupWriter } from './backup.ts';
import { type Clock, RateLimiter, systemClock } from './rate.ts';
import { type DlqInfo, type OpsTarget, OpsUsageError, type PeekedMessage, type QueueRef } from './target.ts';

export type Progress = (done: number, total: number) => void;

export interface RedriveOptions {
  /** Only these messages (by the id `dlq show` prints); undefined: all. */
  readonly messageIds?: readonly string[];
  readonly dryRun?: boolean;
  /** Messages per second (mover); MaxNumberOfMessagesPerSecond (move task). */
  readonly rate?: number;
  readonly backupFile?: string;
  /** How long a received message stays hidden while it is being moved (default 60 s). */
  readonly visibilityTimeoutSeconds?: number;
  readonly onProgress?: Progress;
  /** Abort: the mover stops after the message in hand; a move task is cancelled. */
  readonly signal?: AbortSignal;
  /** Poll interval for ListMessageMoveTasks (default 2 s). */
  readonly pollMs?: number;
  readonly clock?: Clock;
}

export interface RedriveResult {
  readonly mode: 'dry-run' | 'receive-send-delete' | 'move-task';
  readonly queue: string;
  readonly destination: string;
  readonly moved: number;
  readonly messageIds: readonly string[];
  /** --message-id values not found in the DLQ. */
  readonly notFound: readonly string[];
  readonly aborted: boolean;
  readonly backupFile?: string;
  readonly taskStatus?: string;
  readonly failureReason?: string;
  /** Dry run: what would move. */
  readonly wouldMove?: readonly PeekedMessage[];
}

/** Delete after a successful send failed: the message is in both queues (idempotency absorbs it). */
export class RedriveInterruptedError extends Error {
  override name = 'RedriveInterruptedError';
  readonly moved: number;
  constructor(message: string, moved: number, cause: unknown) {
    super(message, { cause });
    this.moved = moved;
  }
}

function sourceOf(dlq: DlqInfo): QueueRef {
  if (!dlq.source) {
    throw new OpsUsageError(
      `${dlq.name} has no source queue to redrive to (its redrive allow policy names none)`,
    );
  }
  return dlq.source;
}

function cleanAttributes(
  attributes: Message['MessageAttributes'],
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  return attributes;
}

async function releaseAll(target: OpsTarget, queue: QueueRef, receipts: readonly string[]): Promise<void> {
  for (let i = 0; i < receipts.length; i += 10) {
    await target.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.url,
        Entries: receipts
          .slice(i, i + 10)
          .map((r, j) => ({ Id: String(j), ReceiptHandle: r, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/**
 * Receives every message of `queue` once (ids seen in this pass are not handled twice), hands
 * each to `handle` (selected) or holds it invisible until the end (not selected), then makes the
 * held ones visible again. Selected messages that `handle` did not `settle` (an abort or an error
 * stopped it first) are made visible again at once rather than after the visibility timeout.
 */
async function drain(
  target: OpsTarget,
  queue: QueueRef,
  options: {
    visibilityTimeoutSeconds: number;
    select: (m: Message) => boolean;
    handle: (batch: Message[], settle: (m: Message) => void) => Promise<void>;
    done: () => boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<void> {
  const seen = new Set<string>();
  const held: string[] = [];
  let emptyPolls = 0;
  try {
    while (!options.signal?.aborted && !options.done() && emptyPolls < 2) {
      const { Messages = [] } = await target.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          WaitTimeSeconds: target.kind === 'aws' ? 1 : 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
      emptyPolls = fresh.length === 0 ? emptyPolls + 1 : 0;
      for (const m of fresh) seen.add(m.MessageId!);
      const selected: Message[] = [];
      for (const m of fresh) {
        if (options.select(m)) selected.push(m);
        else if (m.ReceiptHandle) held.push(m.ReceiptHandle);
      }
      const settled = new Set<Message>();
      try {
        await options.handle(selected, (m) => settled.add(m));
      } finally {
        for (const m of selected) if (!settled.has(m) && m.ReceiptHandle) held.push(m.ReceiptHandle);
      }
    }
  } finally {
    try {
      await releaseAll(target, queue, held);
    } catch {
      // Best effort: unreleased messages become visible again after the visibility timeout.
    }
  }
}

function backupRecord(
  queue: string,
  m: Message,
  action: BackupRecord['action'],
  destination?: string,
): BackupRecord {
  return {
    queue,
    messageId: m.MessageId ?? '',
    body: m.Body ?? '',
    ...(m.Attributes ? { attributes: m.Attributes as Record<string, string> } : {}),
    ...(m.MessageAttributes ? { messageAttributes: m.MessageAttributes as Record<string, unknown> } : {}),
    action,
    ...(destination ? { destination } : {}),
    backedUpAt: new Date().toISOString(),
  };
}

export async function redrive(
  target: OpsTarget,
  dlq: DlqInfo,
  options: RedriveOptions = {},
): Promise<RedriveResult> {
  const source = sourceOf(dlq);
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  if (wanted && wanted.size === 0) throw new OpsUsageError('give --all or at least one --message-id');
  const depth = await target.depth(dlq);
  const total = wanted ? wanted.size : depth.visible;

  if (options.dryRun) {
    const peeked = await target.peek(
      dlq,
      wanted ? Math.max(depth.visible + depth.inFlight, 1) : Math.max(depth.visible, 1),
    );
    const wouldMove = wanted ? peeked.filter((m) => wanted.has(m.messageId)) : peeked;
    const found = new Set(wouldMove.map((m) => m.messageId));
    return {
      mode: 'dry-run',
      queue: dlq.name,
      destination: source.name,
      moved: 0,
      messageIds: wouldMove.map((m) => m.messageId),
      notFound: wanted ? [...wanted].filter((id) => !found.has(id)) : [],
      aborted: false,
      wouldMove,
    };
  }

  if (!wanted && !options.backupFile && target.supportsMoveTask) {
    return moveTask(target, dlq, source, total, options);
  }

  const limiter = new RateLimiter(options.rate, options.clock ?? systemClock);
  const backup = options.backupFile ? new BackupWriter(options.backupFile) : undefined;
  const moved: string[] = [];
  options.onProgress?.(0, total);
  try {
    await drain(target, dlq, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 60,
      signal: options.signal,
      select: (m) => !wanted || wanted.has(m.MessageId ?? ''),
      done: () => wanted !== undefined && moved.length >= wanted.size,
      handle: async (batch, settle) => {
        for (const m of batch) {
          if (options.signal?.aborted) break;
          await limiter.acquire();
          backup?.write([backupRecord(dlq.name, m, 'redrive', source.name)]);
          const attributes = cleanAttributes(m.MessageAttributes);
          await target.sqs.send(
            new SendMessageCommand({
              QueueUrl: source.url,
              MessageBody: m.Body ?? '',
              ...(attributes ? { MessageAttributes: attributes } : {}),
            }),
          );
          // Sent: from here the DLQ copy is redundant (whatever happens to it, idempotency absorbs it).
          settle(m);
          try {
            await target.sqs.send(
              new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: m.ReceiptHandle }),
            );
          } catch (error) {
            throw new RedriveInterruptedError(
              `message ${m.MessageId} was sent to ${source.name} but could not be deleted from ${dlq.name} (${(error as Error).message}); it will be visible in the DLQ again after the visibility timeout: run the redrive again (the copy is absorbed by idempotency)`,
              moved.length,
              error,
            );
          }
          moved.push(m.MessageId ?? '');
          options.onProgress?.(moved.length, Math.max(total, moved.length));
        }
      },
    });
  } finally {
    backup?.close();
  }
  const movedSet = new Set(moved);
  return {
    mode: 'receive-send-delete',
    queue: dlq.name,
    destination: source.name,
    moved: moved.length,
    messageIds: moved,
    notFound: wanted ? [...wanted].filter((id) => !movedSet.has(id)) : [],
    aborted: options.signal?.aborted ?? false,
    ...(backup ? { backupFile: backup.file } : {}),
  };
}

const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

async function moveTask(
  target: OpsTarget,
  dlq: DlqInfo,
  source: QueueRef,
  total: number,
  options: RedriveOptions,
): Promise<RedriveResult> {
  const clock = options.clock ?? systemClock;
  const { TaskHandle } = await target.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: dlq.arn,
      DestinationArn: source.arn,
      ...(options.rate
        ? { MaxNumberOfMessagesPerSecond: Math.max(1, Math.min(500, Math.floor(options.rate))) }
        : {}),
    }),
  );
  let cancelled = false;
  const cancel = async () => {
    if (cancelled || !TaskHandle) return;
    cancelled = true;
    await target.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
  };
  options.onProgress?.(0, total);
  for (;;) {
    if (options.signal?.aborted) await cancel();
    await clock.sleep(options.pollMs ?? 2000);
    if (options.signal?.aborted) await cancel();
    const { Results = [] } = await target.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }),
    );
    // Newest first; a running task carries its handle, a finished one does not.
    const task = Results.find((r) => r.TaskHandle === TaskHandle) ?? Results[0];
    if (!task) continue;
    const movedCount = Number(task.ApproximateNumberOfMessagesMoved ?? 0);
    const toMove = Number(task.ApproximateNumberOfMessagesToMove ?? total);
    options.onProgress?.(movedCount, Math.max(toMove, movedCount));
    if (task.Status && TERMINAL.has(task.Status)) {
      return {
        mode: 'move-task',
        queue: dlq.name,
        destination: source.name,
        moved: movedCount,
        messageIds: [],
        notFound: [],
        aborted: cancelled,
        taskStatus: task.Status,
        ...(task.FailureReason ? { failureReason: task.FailureReason } : {}),
      };
    }
  }
}

export interface PurgeResult {
  readonly queue: string;
  readonly deleted: number;
  readonly backupFile: string;
}

/** Backs up every message (fsynced) before deleting it; never PurgeQueue (that would skip the backup). */
export async function purge(
  target: OpsTarget,
  dlq: DlqInfo,
  options: { backupFile: string; onProgress?: Progress; signal?: AbortSignal },
): Promise<PurgeResult> {
  const total = (await target.depth(dlq)).visible;
  const backup = new BackupWriter(options.backupFile);
  let deleted = 0;
  options.onProgress?.(0, total);
  try {
    await drain(target, dlq, {
      visibilityTimeoutSeconds: 120,
      signal: options.signal,
      select: () => true,
      done: () => false,
      handle: async (batch, settle) => {
        backup.write(batch.map((m) => backupRecord(dlq.name, m, 'purge')));
        for (const m of batch) {
          if (options.signal?.aborted) break;
          await target.sqs.send(
            new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: m.ReceiptHandle }),
          );
          settle(m);
          deleted++;
          options.onProgress?.(deleted, Math.max(total, deleted));
        }
      },
    });
  } finally {
    backup.close();
  }
  return { queue: dlq.name, deleted, backupFile: backup.file };
}
