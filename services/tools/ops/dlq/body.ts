/**
 * What a DLQ message is about: the S3 objects its notification body names (pure, no I/O).
 */
import { BadNotificationError, parseS3NotificationBody } from '../../../../shared/s3-events/index.ts';

export interface MessageSubject {
  /** `bucket/key` of every object the notification names (usually one). */
  readonly objects: readonly { readonly bucket: string; readonly key: string }[];
  /** Set when the body is not an S3 notification (or is an s3:TestEvent). */
  readonly note?: string;
}

export function messageSubject(body: string): MessageSubject {
  try {
    const parsed = parseS3NotificationBody(body);
    if (parsed.kind === 'test-event') return { objects: [], note: 's3:TestEvent' };
    return { objects: parsed.objects.map((o) => ({ bucket: o.bucket, key: o.key })) };
  } catch (error) {
    if (error instanceof BadNotificationError)
      return { objects: [], note: `not an S3 notification: ${error.message}` };
    throw error;
  }
}

/** The queue a DLQ's messages came from, from its RedriveAllowPolicy (null when it names none). */
export function sourceArnFromRedriveAllowPolicy(policy: string | undefined): string | null {
  if (!policy) return null;
  try {
    const parsed = JSON.parse(policy) as { redrivePermission?: string; sourceQueueArnList?: unknown };
    const list = Array.isArray(parsed.sourceQueueArnList) ? parsed.sourceQueueArnList : [];
    return list.length === 1 && typeof list[0] === 'string' ? list[0] : null;
  } catch {
    return null;
  }
}

/** `arn:aws:sqs:region:account:name` → name. */
export function queueNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
