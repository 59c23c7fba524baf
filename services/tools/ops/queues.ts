import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepth, queueUrl } from '../../../shared/state/queues.ts';

export interface QueueStats {
  readonly queue: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** Age of the oldest message in seconds, when the backend can tell without consuming. */
  readonly oldestAgeSeconds: number | null;
}

/**
 * Oldest message age on the local emulator, from fauxqs's non-destructive inspection endpoint
 * (receiving would raise receive counts and could push messages to a DLQ). On AWS the same figure
 * is CloudWatch's ApproximateAgeOfOldestMessage, which the alarms read.
 */
export async function localOldestAgeSeconds(
  sqsEndpoint: string,
  name: string,
  now = Date.now(),
): Promise<number | null> {
  const response = await fetch(new URL(`/_fauxqs/queues/${encodeURIComponent(name)}`, sqsEndpoint));
  if (!response.ok) return null;
  const state = (await response.json()) as {
    messages?: {
      ready?: Array<{ sentTimestamp?: number }>;
      delayed?: Array<{ sentTimestamp?: number }>;
      inflight?: Array<{ message?: { sentTimestamp?: number } }>;
    };
  };
  const sent = [
    ...(state.messages?.ready ?? []).map((m) => m.sentTimestamp),
    ...(state.messages?.delayed ?? []).map((m) => m.sentTimestamp),
    ...(state.messages?.inflight ?? []).map((m) => m.message?.sentTimestamp),
  ].filter((t): t is number => typeof t === 'number');
  if (sent.length === 0) return null;
  return Math.max(0, Math.round((now - Math.min(...sent)) / 1000));
}

export async function queueStats(
  sqs: SQSClient,
  name: string,
  options: { localEndpoint?: string } = {},
): Promise<QueueStats> {
  const depth = await queueDepth(sqs, await queueUrl(sqs, name));
  return {
    queue: name,
    ...depth,
    oldestAgeSeconds: options.localEndpoint ? await localOldestAgeSeconds(options.localEndpoint, name) : null,
  };
}
