import { readFileSync } from 'node:fs';
import type { NotificationResource, PipelineResources } from '../../../../shared/config/resources.ts';
import { writeFileAtomicSync } from './atomic-file.ts';
import { newRequestIds } from './request-context.ts';
import { objectCreatedMessage, objectCreatedRecord, testEventMessage } from './s3-event.ts';
import type { ObjectCreated } from './s3-store.ts';
import type { LocalSqsStore } from './sqs-store.ts';

/**
 * The notification's Id (`configurationId` in events), as infra-terraform/s3.tf names it:
 * `<consumer>-manifests`.
 */
export function configurationId(notification: NotificationResource, resources: PipelineResources): string {
  const queue = Object.values(resources.queues).find((candidate) => candidate.name === notification.queue);
  return queue ? `${queue.consumer}-manifests` : `${notification.queue}-notification`;
}

/** Same rule as S3's filter: the raw key ends with the suffix. */
export function matches(notification: NotificationResource, bucket: string, key: string): boolean {
  return notification.bucket === bucket && key.endsWith(notification.suffix);
}

export interface NotificationBridgeOptions {
  readonly sqs: LocalSqsStore;
  readonly resources: PipelineResources;
  readonly region: string;
  /** Where the applied configuration is remembered, so test events go out once per change. */
  readonly configFile?: string;
  readonly tmpDir?: string;
}

/**
 * S3 → SQS event notifications for the local stack. `handle` runs inside the S3 store's write (see
 * s3-store.ts): it enqueues the exact message S3 would send to every matching queue and writes
 * those queues to disk before returning, so the PutObject response never precedes a durable
 * notification.
 */
export class NotificationBridge {
  private readonly options: NotificationBridgeOptions;

  constructor(options: NotificationBridgeOptions) {
    this.options = options;
  }

  readonly handle = (event: ObjectCreated): void => {
    const { sqs, resources, region } = this.options;
    let sent = 0;
    for (const notification of resources.notifications) {
      if (!matches(notification, event.bucket, event.key)) continue;
      const queue = sqs.getQueueByName(notification.queue);
      // S3 refuses a configuration whose destination does not exist; fail the write likewise.
      if (!queue) throw new Error(`notification target queue ${notification.queue} does not exist`);
      const record = objectCreatedRecord({
        ...event,
        region,
        configurationId: configurationId(notification, resources),
      });
      sqs.enqueueDirect(queue, objectCreatedMessage([record]));
      sent += 1;
    }
    if (sent > 0) sqs.flush();
  };

  /**
   * Sends S3's `s3:TestEvent` to each destination queue of each bucket, as S3 does when a
   * notification configuration is put, unless this configuration was already applied (remembered
   * in `configFile`). Returns how many were sent.
   */
  sendTestEventsOnce(): number {
    const { sqs, resources, configFile, tmpDir } = this.options;
    const { notifications } = resources;
    const applied = JSON.stringify(notifications);
    if (configFile !== undefined && readOrUndefined(configFile) === applied) return 0;
    let sent = 0;
    const byBucket = new Map<string, Set<string>>();
    for (const notification of notifications) {
      const queues = byBucket.get(notification.bucket) ?? new Set<string>();
      queues.add(notification.queue);
      byBucket.set(notification.bucket, queues);
    }
    for (const [bucket, queues] of byBucket) {
      for (const name of queues) {
        const queue = sqs.getQueueByName(name);
        if (!queue) throw new Error(`notification target queue ${name} does not exist`);
        const message = testEventMessage({ bucket, time: new Date(), ...newRequestIds() });
        sqs.enqueueDirect(queue, JSON.stringify(message));
        sent += 1;
      }
    }
    sqs.flush();
    if (configFile !== undefined && tmpDir !== undefined) writeFileAtomicSync(configFile, applied, tmpDir);
    return sent;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
