import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from './atomic-file.ts';
import type { InflightEntry, SqsMessage, SqsQueue } from './fauxqs-internals.ts';

/**
 * One file per queue, `<stateDir>/sqs/<queue>.json`: its attributes and every message it holds,
 * ready, delayed or in flight, with ids, bodies, attributes, sent time and receive count. The file
 * is rewritten whole (temp file + rename, atomic-file.ts) whenever the queue changes, before the request that
 * changed it is answered.
 */
export interface QueueSnapshot {
  readonly format: 1;
  readonly name: string;
  readonly arn: string;
  readonly attributes: Record<string, string>;
  readonly tags: Record<string, string>;
  readonly createdTimestamp: number;
  readonly lastModifiedTimestamp: number;
  readonly sequenceCounter: number;
  readonly ready: SqsMessage[];
  readonly delayed: SqsMessage[];
  readonly inflight: InflightEntry[];
}

export function snapshotQueue(queue: SqsQueue): QueueSnapshot {
  const { ready, delayed, inflight } = queue.inspectMessages();
  return {
    format: 1,
    name: queue.name,
    arn: queue.arn,
    attributes: { ...queue.attributes },
    tags: Object.fromEntries(queue.tags),
    createdTimestamp: queue.createdTimestamp,
    lastModifiedTimestamp: queue.lastModifiedTimestamp,
    sequenceCounter: queue.sequenceCounter,
    ready,
    delayed,
    inflight: inflight.map(({ message, receiptHandle, visibilityDeadline }) => ({
      message,
      receiptHandle,
      visibilityDeadline,
    })),
  };
}

/** Puts a snapshot's messages back into a freshly created queue, in their states. */
export function restoreMessages(queue: SqsQueue, snapshot: QueueSnapshot): void {
  const writable = queue as { -readonly [K in keyof SqsQueue]: SqsQueue[K] };
  writable.createdTimestamp = snapshot.createdTimestamp;
  writable.lastModifiedTimestamp = snapshot.lastModifiedTimestamp;
  writable.sequenceCounter = snapshot.sequenceCounter;
  if (queue.isFifo()) {
    for (const message of [...snapshot.ready, ...snapshot.delayed]) queue.enqueue(message);
    for (const entry of snapshot.inflight) {
      queue.inflightMessages.set(entry.receiptHandle, entry);
      const group = entry.message.messageGroupId ?? '__default';
      queue.fifoLockedGroups.set(group, (queue.fifoLockedGroups.get(group) ?? 0) + 1);
    }
    return;
  }
  queue.messages.push(...snapshot.ready);
  queue.delayedMessages.push(...snapshot.delayed);
  // Still in flight, with the same receipt handle, until the deadline; then fauxqs makes it
  // visible again, with its receive count, so maxReceiveCount keeps counting across restarts.
  for (const entry of snapshot.inflight) queue.inflightMessages.set(entry.receiptHandle, entry);
}

export class QueueFiles {
  private readonly dir: string;
  private readonly tmpDir: string;

  constructor(dir: string, tmpDir: string) {
    this.dir = dir;
    this.tmpDir = tmpDir;
  }

  write(queue: SqsQueue): void {
    writeFileAtomicSync(this.file(queue.name), JSON.stringify(snapshotQueue(queue)), this.tmpDir);
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  readAll(): QueueSnapshot[] {
    if (!existsSync(this.dir)) return [];
    const snapshots: QueueSnapshot[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      let parsed: QueueSnapshot;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8')) as QueueSnapshot;
      } catch (error) {
        throw new Error(`cannot read queue snapshot ${file}: ${(error as Error).message}`, { cause: error });
      }
      if (parsed.format !== 1) throw new Error(`unknown queue snapshot format in ${file}`);
      snapshots.push(parsed);
    }
    return snapshots;
  }

  private file(name: string): string {
    // Queue names are [A-Za-z0-9_-]{1,80} (plus '.fifo'): safe as file names.
    return path.join(this.dir, `${name}.json`);
  }
}
