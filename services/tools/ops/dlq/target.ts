/**
 * Where the on-call commands act: the local stack (`--state-dir`) or an AWS account
 * (`--aws`, queues resolved by name with the deployment prefix in the environment's account and
 * region). Both speak the SQS API through the real SDK client; the differences (how queues are
 * found, how to look at messages without consuming them, where failure records live, whether
 * StartMessageMoveTask exists) stay behind `OpsTarget`.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type PipelineResources, pipelineResources } from '../../../../shared/config/resources.ts';
import { type FailureStore, failureStore } from '../../../../shared/failures/index.ts';
import { type QueueDepth, queueDepth } from '../../../../shared/state/queues.ts';
import type { AttachedStack } from '../../local-runtime/attach.ts';
import { LOCAL_CREDENTIALS } from '../../local-runtime/aws/index.ts';
import { nameAwsCalls } from '../aws-errors.ts';
import { localOldestAgeSeconds } from '../queues.ts';
import { queueNameFromArn, sourceArnFromRedriveAllowPolicy } from './body.ts';

/** A mistake the user can fix (unknown queue, missing flag): the CLI prints it as one line. */
export class OpsUsageError extends Error {
  override name = 'OpsUsageError';
}

export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface DlqInfo extends QueueRef {
  /** The queue whose failures land here (null: not an SQS source, e.g. the schedule DLQ). */
  readonly source: QueueRef | null;
  /** The stage consuming the source queue: failure records are kept under it. */
  readonly stage: 'transform' | 'load' | null;
}

export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  /** Receives before this look (the DLQ move itself keeps the source queue's count). */
  readonly receiveCount: number;
  /** When the message was first sent (to the source queue: a standard queue keeps it). */
  readonly sentAt: string | null;
}

export type { QueueDepth };

export interface OpsTarget {
  readonly kind: 'local' | 'aws';
  readonly sqs: SQSClient;
  readonly failures: FailureStore;
  readonly resources: PipelineResources;
  /** Folder for default backup files. */
  readonly backupDir: string;
  /** StartMessageMoveTask exists (AWS only; no emulator implements it). */
  readonly supportsMoveTask: boolean;
  dlqs(): Promise<DlqInfo[]>;
  /** The DLQ by the name `dlq list` prints; OpsUsageError naming the known ones otherwise. */
  dlq(name: string): Promise<DlqInfo>;
  depth(queue: QueueRef): Promise<QueueDepth>;
  /** Age of the oldest message without consuming it (null when unknown or empty). */
  oldestAgeSeconds(queue: QueueRef): Promise<number | null>;
  /** Up to `limit` messages, leaving every one visible and its receive count meaningful. */
  peek(queue: QueueRef, limit: number): Promise<PeekedMessage[]>;
  close(): Promise<void>;
}

async function describeQueue(
  sqs: SQSClient,
  name: string,
): Promise<(QueueRef & { redriveAllow?: string }) | null> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  } catch (error) {
    if (error instanceof QueueDoesNotExist || (error as { name?: string }).name === 'QueueDoesNotExist')
      return null;
    if ((error as { name?: string }).name === 'AWS.SimpleQueueService.NonExistentQueue') return null;
    throw error;
  }
  if (!url) return null;
  const { Attributes = {} } = await sqs.send(
    // 'All', not named attributes: every implementation answers it, while a name it does not know
    // is an error (moto rejects 'RedriveAllowPolicy'). What comes back is read, absent or not.
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
  );
  return {
    name,
    url,
    arn: Attributes.QueueArn ?? name,
    ...(Attributes.RedriveAllowPolicy ? { redriveAllow: Attributes.RedriveAllowPolicy } : {}),
  };
}

/** The DLQs the resources declare (plus the AWS-only schedule DLQ when it exists). */
async function discoverDlqs(
  sqs: SQSClient,
  resources: PipelineResources,
  extraDlqs: readonly string[],
): Promise<DlqInfo[]> {
  const found: DlqInfo[] = [];
  for (const queue of Object.values(resources.queues)) {
    const dlq = await describeQueue(sqs, queue.dlqName);
    if (!dlq) continue;
    // The redrive allow policy names the source; the declared resources are the fallback.
    const sourceArn = sourceArnFromRedriveAllowPolicy(dlq.redriveAllow);
    const sourceName = sourceArn ? queueNameFromArn(sourceArn) : queue.name;
    const source = await describeQueue(sqs, sourceName);
    const consumer = Object.values(resources.queues).find((q) => q.name === sourceName)?.consumer ?? null;
    found.push({
      name: dlq.name,
      url: dlq.url,
      arn: dlq.arn,
      source: source ? { name: source.name, url: source.url, arn: source.arn } : null,
      stage: consumer,
    });
  }
  for (const name of extraDlqs) {
    const dlq = await describeQueue(sqs, name);
    if (dlq) found.push({ name: dlq.name, url: dlq.url, arn: dlq.arn, source: null, stage: null });
  }
  return found;
}

/**
 * Peek through the SQS API: receive with a visibility timeout, then make every received message
 * visible again at once (ChangeMessageVisibility 0). Each look adds one to the receive count, so
 * the count reported is the one before this look.
 */
export async function peekByReceive(
  sqs: SQSClient,
  queue: QueueRef,
  limit: number,
): Promise<PeekedMessage[]> {
  const received: { messageId: string; body: string; receipt: string; count: number; sent: string | null }[] =
    [];
  const seen = new Set<string>();
  let emptyPolls = 0;
  try {
    while (received.length < limit && emptyPolls < 2) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, limit - received.length),
          VisibilityTimeout: 30,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
      emptyPolls = fresh.length === 0 ? emptyPolls + 1 : 0;
      for (const m of fresh) {
        seen.add(m.MessageId!);
        const sent = Number(m.Attributes?.SentTimestamp);
        received.push({
          messageId: m.MessageId!,
          body: m.Body ?? '',
          receipt: m.ReceiptHandle ?? '',
          count: Math.max(0, Number(m.Attributes?.ApproximateReceiveCount ?? 1) - 1),
          sent: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
        });
      }
    }
  } finally {
    for (let i = 0; i < received.length; i += 10) {
      const chunk = received.slice(i, i + 10);
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receipt, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return received.slice(0, limit).map((m) => ({
    messageId: m.messageId,
    body: m.body,
    receiveCount: m.count,
    sentAt: m.sent,
  }));
}

interface FauxqsMessage {
  readonly messageId?: string;
  readonly body?: string;
  readonly sentTimestamp?: number;
  readonly approximateReceiveCount?: number;
}

/** fauxqs's non-destructive inspection endpoint: exact receive counts, nothing received. */
async function peekLocal(sqsEndpoint: string, queue: QueueRef, limit: number): Promise<PeekedMessage[]> {
  const response = await fetch(new URL(`/_fauxqs/queues/${encodeURIComponent(queue.name)}`, sqsEndpoint));
  if (!response.ok) throw new Error(`cannot inspect ${queue.name}: HTTP ${response.status}`);
  const state = (await response.json()) as {
    messages?: {
      ready?: FauxqsMessage[];
      delayed?: FauxqsMessage[];
      inflight?: { message?: FauxqsMessage }[];
    };
  };
  const all: FauxqsMessage[] = [
    ...(state.messages?.ready ?? []),
    ...(state.messages?.delayed ?? []),
    ...(state.messages?.inflight ?? []).map((m) => m.message ?? {}),
  ];
  return all
    .filter((m) => typeof m.messageId === 'string')
    .sort((a, b) => (a.sentTimestamp ?? 0) - (b.sentTimestamp ?? 0))
    .slice(0, limit)
    .map((m) => ({
      messageId: m.messageId!,
      body: m.body ?? '',
      receiveCount: Number(m.approximateReceiveCount ?? 0),
      sentAt: typeof m.sentTimestamp === 'number' ? new Date(m.sentTimestamp).toISOString() : null,
    }));
}

function targetFrom(parts: {
  kind: 'local' | 'aws';
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  resources: PipelineResources;
  backupDir: string;
  extraDlqs: readonly string[];
  peek: (queue: QueueRef, limit: number) => Promise<PeekedMessage[]>;
  oldest: (queue: QueueRef) => Promise<number | null>;
  close: () => Promise<void>;
}): OpsTarget {
  const doc = DynamoDBDocumentClient.from(parts.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  let cached: Promise<DlqInfo[]> | undefined;
  const dlqs = () => {
    cached ??= discoverDlqs(parts.sqs, parts.resources, parts.extraDlqs);
    return cached;
  };
  return {
    kind: parts.kind,
    sqs: parts.sqs,
    failures: failureStore({ tableName: parts.resources.tables.state.name, client: doc }),
    resources: parts.resources,
    backupDir: parts.backupDir,
    supportsMoveTask: parts.kind === 'aws',
    dlqs,
    async dlq(name) {
      const all = await dlqs();
      const found = all.find((q) => q.name === name);
      if (!found) {
        throw new OpsUsageError(
          `no DLQ named ${name} (known: ${all.map((q) => q.name).join(', ') || 'none found'})`,
        );
      }
      return found;
    },
    depth: (queue) => queueDepth(parts.sqs, queue.url),
    oldestAgeSeconds: parts.oldest,
    peek: parts.peek,
    async close() {
      parts.sqs.destroy();
      doc.destroy();
      parts.dynamo.destroy();
      await parts.close();
    },
  };
}

/** What the local target needs of a local stack (an AttachedStack has it; `detach` runs on close). */
export type LocalQueues = Pick<AttachedStack, 'stateDir' | 'endpoints' | 'region' | 'resources' | 'detach'>;

/** The local stand-ins (fauxqs, dynalite) of a state folder. */
export function localTarget(stack: LocalQueues): OpsTarget {
  const clientOptions = { region: stack.region, credentials: LOCAL_CREDENTIALS };
  return targetFrom({
    kind: 'local',
    sqs: nameAwsCalls(new SQSClient({ ...clientOptions, endpoint: stack.endpoints.sqs })),
    dynamo: nameAwsCalls(new DynamoDBClient({ ...clientOptions, endpoint: stack.endpoints.dynamodb })),
    resources: stack.resources,
    backupDir: stack.stateDir,
    extraDlqs: [],
    peek: (queue, limit) => peekLocal(stack.endpoints.sqs, queue, limit),
    oldest: (queue) => localOldestAgeSeconds(stack.endpoints.sqs, queue.name),
    close: () => stack.detach(),
  });
}

/**
 * The deployment in the AWS account and region of the environment (AWS_PROFILE / AWS_REGION /
 * credentials as the SDK resolves them). `clients` lets tests pass mocked clients.
 */
export function awsTarget(options: {
  prefix: string;
  backupDir: string;
  sqs?: SQSClient;
  dynamo?: DynamoDBClient;
}): OpsTarget {
  const sqs = options.sqs ?? nameAwsCalls(new SQSClient({}));
  return targetFrom({
    kind: 'aws',
    sqs,
    dynamo: options.dynamo ?? nameAwsCalls(new DynamoDBClient({})),
    resources: pipelineResources(options.prefix, 'aws'),
    backupDir: options.backupDir,
    extraDlqs: [`${options.prefix}-schedule-dlq`],
    peek: (queue, limit) => peekByReceive(sqs, queue, limit),
    // Only CloudWatch's ApproximateAgeOfOldestMessage knows without consuming.
    oldest: async () => null,
    close: async () => {},
  });
}
