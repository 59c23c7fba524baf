import { type SqsMessage, type SqsQueue, SqsStore } from './fauxqs-internals.ts';
import { type QueueFiles, restoreMessages } from './sqs-snapshot.ts';

type DlqResolver = (arn: string) => SqsQueue | undefined;

/**
 * fauxqs's SQS store, made durable when given `QueueFiles`: every queue change marks the queue
 * dirty, and `flush()` (called before every response, see local-aws.ts) writes the dirty queues'
 * snapshots synchronously. Also accepts any host in a queue URL (the port changes across
 * restarts; clients may say localhost or 127.0.0.1), resolving by the name in its path.
 */
export class LocalSqsStore extends SqsStore {
  private readonly files: QueueFiles | undefined;
  private readonly dirty = new Set<SqsQueue>();

  constructor(files?: QueueFiles) {
    super();
    this.files = files;
    // Queue URLs use the host the client called (127.0.0.1:<port>), not sqs.<region>.localhost.
    this.host = '';
  }

  override createQueue(
    name: string,
    url: string,
    arn: string,
    attributes?: Record<string, string>,
    tags?: Record<string, string>,
  ): SqsQueue {
    const queue = super.createQueue(name, url, arn, attributes, tags);
    this.track(queue);
    this.dirty.add(queue);
    return queue;
  }

  override deleteQueue(url: string): boolean {
    const queue = this.getQueue(url);
    if (!queue) return false;
    const deleted = super.deleteQueue(queue.url);
    this.dirty.delete(queue);
    this.files?.remove(queue.name);
    return deleted;
  }

  override getQueue(url: string): SqsQueue | undefined {
    const exact = super.getQueue(url);
    if (exact) return exact;
    const name = url.split('?')[0]?.split('/').filter(Boolean).pop();
    return name === undefined ? undefined : this.getQueueByName(name);
  }

  /** For changes fauxqs makes without a method call (TagQueue/UntagQueue edit `tags` directly). */
  markAllDirty(): void {
    for (const queue of this.listQueues()) this.dirty.add(queue);
  }

  /** Writes every changed queue's snapshot. Synchronous: run it before answering the request. */
  flush(): void {
    if (!this.files) {
      this.dirty.clear();
      return;
    }
    for (const queue of [...this.dirty]) {
      this.files.write(queue);
      this.dirty.delete(queue);
    }
  }

  /** Recreates the persisted queues (URLs on `host`, e.g. 127.0.0.1:<port>) with their messages. */
  restore(host: string): string[] {
    if (!this.files) return [];
    const names: string[] = [];
    for (const snapshot of this.files.readAll()) {
      const url = this.buildQueueUrl(snapshot.name, '', host, '');
      const queue = this.createQueue(snapshot.name, url, snapshot.arn, snapshot.attributes, snapshot.tags);
      restoreMessages(queue, snapshot);
      names.push(snapshot.name);
    }
    this.dirty.clear();
    return names;
  }

  /** Enqueues a message created outside an SQS request (the S3 notification bridge). */
  enqueueDirect(queue: SqsQueue, body: string): SqsMessage {
    const message = SqsStore.createMessage(body);
    queue.enqueue(message);
    return message;
  }

  private track(queue: SqsQueue): void {
    if (!queue.isFifo()) wakeOnePollPerMessage(queue);
    const mark = () => this.dirty.add(queue);
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = (message) => {
      enqueue(message);
      mark();
    };
    const dequeue = queue.dequeue.bind(queue);
    queue.dequeue = (maxCount, visibilityTimeout, dlqResolver?: DlqResolver) => {
      let moved = false;
      const resolver: DlqResolver | undefined = dlqResolver
        ? (arn) => {
            moved = true;
            return dlqResolver(arn);
          }
        : undefined;
      const received = dequeue(maxCount, visibilityTimeout, resolver);
      // An empty poll changes nothing worth writing (expired visibility is restored by deadline).
      if (received.length > 0 || moved) mark();
      return received;
    };
    const deleteMessage = queue.deleteMessage.bind(queue);
    queue.deleteMessage = (receiptHandle) => {
      const deleted = deleteMessage(receiptHandle);
      if (deleted) mark();
      return deleted;
    };
    const changeVisibility = queue.changeVisibility.bind(queue);
    queue.changeVisibility = (receiptHandle, timeoutSeconds) => {
      const known = queue.inflightMessages.has(receiptHandle);
      changeVisibility(receiptHandle, timeoutSeconds);
      if (known) mark();
    };
    const purge = queue.purge.bind(queue);
    queue.purge = () => {
      purge();
      mark();
    };
    const setAttributes = queue.setAttributes.bind(queue);
    queue.setAttributes = (attributes) => {
      setAttributes(attributes);
      mark();
    };
  }
}

/**
 * fauxqs wakes every long poll waiting on a queue when one message arrives; all but one then
 * answer empty and poll again at once. On AWS the event source mapping's pollers are the Lambda
 * service's machines; here they share the one event loop that also runs the handler the message
 * is for (the transform mapping has five pollers), so the herd landed on the critical path of
 * every hop. Instead: wake at most one waiting poll per ready message (a woken poll may take up
 * to ten). Nothing can be stranded: fauxqs's 20 ms timer, which runs while any poll waits, calls
 * this again whenever ready messages remain; and nothing spins, since a poll is only woken while
 * a message is ready. Standard queues only (FIFO group locking keeps fauxqs's own rule).
 */
export function wakeOnePollPerMessage(queue: SqsQueue): void {
  (queue as unknown as { notifyWaiters: () => void }).notifyWaiters = () => {
    for (let ready = queue.messages.length; ready > 0 && queue.pollWaiters.length > 0; ready--) {
      const waiter = queue.pollWaiters.shift()!;
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  };
}
