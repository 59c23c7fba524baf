import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueStats {
  readonly queue: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** Age of the oldest message in seconds, when the backend can tell without consuming. */
  readonly oldestAgeSeconds: number | null;
}

export async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`queue ${name} has no URL`);
  return QueueUrl;
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
  const url = await queueUrl(sqs, name);
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    queue: name,
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    oldestAgeSeconds: options.localEndpoint ? await localOldestAgeSeconds(options.localEndpoint, name) : null,
  };
}
