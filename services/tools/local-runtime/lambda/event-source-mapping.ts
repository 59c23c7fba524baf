import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FaultInjector } from '../faults/injector.ts';
import { injectedTimeoutSeconds } from '../faults/lambda.ts';
import { invokeLocally, type LocalFunction } from './local-function.ts';

export interface EventSourceMappingOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly fn: LocalFunction<SQSEvent, SQSBatchResponse | undefined>;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** Parallel pollers, each running one batch at a time (Lambda's maximum_concurrency). */
  readonly maximumConcurrency: number;
  /**
   * Seconds before a failed message is visible again. On AWS it is the queue's visibility timeout
   * (6 × the function timeout); locally a short delay keeps retries and DLQ arrival quick.
   */
  readonly retryDelaySeconds: number;
  readonly onBatch?: (report: BatchReport) => void;
  /** Local fault injection (timeouts, duplicate deliveries, reordering); absent: none. */
  readonly faults?: FaultInjector | undefined;
}

export interface BatchReport {
  readonly function: string;
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly invocationError?: unknown;
  readonly durationMs: number;
}

export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value.StringValue, dataType: value.DataType ?? 'String' },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which messages of a batch count as failed, by Lambda's rules for ReportBatchItemFailures: an
 * invocation error fails all; an identifier that is empty or not in the batch fails all; otherwise
 * exactly the listed ones.
 */
export function failedMessageIds(
  messageIds: readonly string[],
  outcome: { ok: true; result: SQSBatchResponse | undefined } | { ok: false },
): Set<string> {
  if (!outcome.ok) return new Set(messageIds);
  const failures = outcome.result?.batchItemFailures ?? [];
  const known = new Set(messageIds);
  for (const failure of failures) {
    if (!failure.itemIdentifier || !known.has(failure.itemIdentifier)) return new Set(messageIds);
  }
  return new Set(failures.map((f) => f.itemIdentifier));
}

/**
 * Lambda's SQS event source mapping, locally: long-polls the queue, hands batches to the real
 * handler, deletes only what succeeded, and leaves the rest for redelivery (and, after the queue's
 * maxReceiveCount, for its DLQ, which the queue's redrive policy does on its own).
 */
export class EventSourceMapping {
  readonly #options: EventSourceMappingOptions;
  #running = false;
  #pollers: Promise<void>[] = [];
  #busy = 0;
  #lastBatchEndedAt: number | undefined;

  constructor(options: EventSourceMappingOptions) {
    this.#options = options;
  }

  /** Batches being processed right now. */
  get inFlight(): number {
    return this.#busy;
  }

  /**
   * When the last batch ended (`Date.now()`: its handler returned, its messages deleted or set for
   * retry), or undefined before the first. The end of a run's work, where polling for the drain
   * only confirms it later.
   */
  get lastBatchEndedAt(): number | undefined {
    return this.#lastBatchEndedAt;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (let i = 0; i < Math.max(1, this.#options.maximumConcurrency); i++) this.#pollers.push(this.#poll());
  }

  async stop(): Promise<void> {
    // Let a long poll in progress finish (at most 1 s) instead of aborting it: an aborted poll can
    // still be answered by the queue, which would hide its messages for the visibility timeout.
    this.#running = false;
    await Promise.allSettled(this.#pollers);
    this.#pollers = [];
  }

  async #poll(): Promise<void> {
    while (this.#running) {
      try {
        const messages = await this.#receiveBatch();
        if (messages.length === 0) continue;
        if (!this.#running) {
          await this.#release(messages);
          return;
        }
        this.#busy++;
        try {
          await this.#process(messages);
        } finally {
          this.#busy--;
          this.#lastBatchEndedAt = Date.now();
        }
      } catch (error) {
        if (!this.#running) return;
        // The queue is unreachable for a moment (emulator restarting, injected fault): back off.
        this.#options.onBatch?.({
          function: this.#options.fn.name,
          received: 0,
          succeeded: 0,
          failed: 0,
          invocationError: error,
          durationMs: 0,
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Hands messages received while stopping straight back to the queue. */
  async #release(messages: Message[]): Promise<void> {
    await this.#options.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.#options.queueUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }

  async #receive(max: number, waitSeconds: number): Promise<Message[]> {
    const response = await this.#options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return response.Messages ?? [];
  }

  async #receiveBatch(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.#options;
    const batch = await this.#receive(batchSize, 1);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (batch.length < batchSize && Date.now() < windowEnds && this.#running) {
      const more = await this.#receive(batchSize - batch.length, 0);
      if (more.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      batch.push(...more);
    }
    return batch;
  }

  /**
   * Injected reordering: some messages are pushed back for 1–3 s unhandled (they come back later,
   * behind others), and a batch may be shuffled. Returns the batch to hand to the function.
   */
  async #reorder(messages: Message[]): Promise<Message[]> {
    const faults = this.#options.faults;
    if (!faults) return messages;
    const kept: Message[] = [];
    const delayed: { handle: string; seconds: number }[] = [];
    for (const m of messages) {
      if (m.ReceiptHandle && faults.draw('reorder'))
        delayed.push({ handle: m.ReceiptHandle, seconds: faults.rng('reorder').int(1, 3) });
      else kept.push(m);
    }
    await this.#changeVisibility(delayed);
    if (kept.length > 1 && faults.draw('reorder')) return faults.rng('reorder').shuffle(kept);
    return kept;
  }

  async #changeVisibility(entries: readonly { handle: string; seconds: number }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#options.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.#options.queueUrl,
        Entries: entries.map((e, i) => ({
          Id: String(i),
          ReceiptHandle: e.handle,
          VisibilityTimeout: e.seconds,
        })),
      }),
    );
  }

  async #process(received: Message[]): Promise<void> {
    const { fn, queueArn, region, sqs, queueUrl, retryDelaySeconds, faults } = this.#options;
    const messages = await this.#reorder(received);
    if (messages.length === 0) return;
    const records = messages.map((m) => toSqsRecord(m, queueArn, region));
    const outcome = await invokeLocally(fn, { Records: records }, region, {
      timeoutSeconds: injectedTimeoutSeconds(faults, fn.timeoutSeconds),
    });
    const failed = failedMessageIds(
      records.map((r) => r.messageId),
      outcome.ok ? { ok: true, result: outcome.result } : { ok: false },
    );
    const succeeded: SQSRecord[] = [];
    const retried: SQSRecord[] = [];
    const redelivered: SQSRecord[] = [];
    for (const r of records) {
      if (failed.has(r.messageId)) retried.push(r);
      // Injected duplicate delivery: half the time the message is not deleted (it comes back), half
      // the time its notification is sent once more as a new message (a duplicate S3 event).
      else if (faults?.draw('duplicate')) {
        if (faults.rng('duplicate').next() < 0.5) redelivered.push(r);
        else {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: r.body })).catch(() => {});
          succeeded.push(r);
        }
      } else succeeded.push(r);
    }
    if (succeeded.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    await this.#changeVisibility([
      ...retried.map((r) => ({ handle: r.receiptHandle, seconds: retryDelaySeconds })),
      ...redelivered.map((r) => ({ handle: r.receiptHandle, seconds: retryDelaySeconds })),
    ]);
    this.#options.onBatch?.({
      function: fn.name,
      received: records.length,
      succeeded: succeeded.length + redelivered.length,
      failed: retried.length,
      ...(outcome.ok ? {} : { invocationError: outcome.error }),
      durationMs: outcome.durationMs,
    });
    // A timed-out handler keeps this poller's slot (maximum_concurrency) until it really ends, or
    // for at most five more timeouts should it never end.
    if (!outcome.ok && outcome.stillRunning) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        outcome.stillRunning,
        new Promise((resolve) => {
          timer = setTimeout(resolve, 5 * fn.timeoutSeconds * 1000);
        }),
      ]);
      clearTimeout(timer);
    }
  }
}
