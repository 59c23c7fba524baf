/**
 * The AWS resources as shared/config/resources.ts declares them, through the real SDK: buckets,
 * queues with their DLQs and redrive policies (target and maxReceiveCount), the bucket
 * notifications that start the transform and the load, and the DynamoDB tables (keys; TTL on AWS).
 * The same code checks the local emulators (`--state-dir`) and an account (`--aws`); the local
 * stack has no S3 notification configuration (its bridge routes manifests as resources.ts says) and
 * dynalite no TTL, so those two parts differ by mode.
 *
 * Queue attributes are asked for by name (QueueArn, RedrivePolicy, VisibilityTimeout,
 * MessageRetentionPeriod), never `All` and never RedriveAllowPolicy, which some implementations
 * reject.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  type QueueConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, paginateListQueues, type SQSClient } from '@aws-sdk/client-sqs';
import type { PipelineResources, QueueResource } from '../../../../shared/config/resources.ts';
import { type CheckResult, fail, ok, warn } from './check.ts';

const G = 'resources' as const;

export interface ResourceClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

export interface ResourceCheckOptions {
  readonly mode: 'aws' | 'local';
  readonly resources: PipelineResources;
  /** How to put a declared resource back, e.g. `terraform -chdir=infra-terraform apply`. */
  readonly recreate: string;
}

/** Every queue whose name starts with the prefix, name → URL (ListQueues, all pages). */
export async function listQueues(sqs: SQSClient, prefix: string): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for await (const page of paginateListQueues({ client: sqs, pageSize: 1000 }, { QueueNamePrefix: prefix })) {
    for (const url of page.QueueUrls ?? []) urls.set(decodeURIComponent(url.split('/').pop() ?? url), url);
  }
  return urls;
}

interface QueueAttributes {
  readonly arn: string | undefined;
  readonly redrivePolicy: string | undefined;
  readonly visibilityTimeout: number | undefined;
  readonly retention: number | undefined;
}

async function queueAttributes(sqs: SQSClient, url: string): Promise<QueueAttributes> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['QueueArn', 'RedrivePolicy', 'VisibilityTimeout', 'MessageRetentionPeriod'],
    }),
  );
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  return {
    arn: Attributes.QueueArn,
    redrivePolicy: Attributes.RedrivePolicy,
    visibilityTimeout: number(Attributes.VisibilityTimeout),
    retention: number(Attributes.MessageRetentionPeriod),
  };
}

function parseRedrive(policy: string | undefined): { target?: string; maxReceiveCount?: number } | null {
  if (!policy) return null;
  try {
    const parsed = JSON.parse(policy) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    return {
      ...(typeof parsed.deadLetterTargetArn === 'string' ? { target: parsed.deadLetterTargetArn } : {}),
      ...(parsed.maxReceiveCount !== undefined ? { maxReceiveCount: Number(parsed.maxReceiveCount) } : {}),
    };
  } catch {
    return {};
  }
}

async function queueChecks(
  sqs: SQSClient,
  urls: Map<string, string>,
  queue: QueueResource,
  recreate: string,
): Promise<{ checks: CheckResult[]; arn: string | undefined }> {
  const checks: CheckResult[] = [];
  const dlqUrl = urls.get(queue.dlqName);
  const dlq = dlqUrl ? await queueAttributes(sqs, dlqUrl) : undefined;
  const mainUrl = urls.get(queue.name);
  const main = mainUrl ? await queueAttributes(sqs, mainUrl) : undefined;

  if (!main) {
    checks.push(
      fail(
        G,
        `queue ${queue.name}`,
        `does not exist: manifests for the ${queue.consumer} go nowhere`,
        recreate,
      ),
    );
  } else {
    const drift: string[] = [];
    if (main.visibilityTimeout !== queue.visibilityTimeoutSeconds) {
      drift.push(
        `visibility timeout ${main.visibilityTimeout}s, declared ${queue.visibilityTimeoutSeconds}s`,
      );
    }
    if (main.retention !== queue.messageRetentionSeconds) {
      drift.push(`retention ${main.retention}s, declared ${queue.messageRetentionSeconds}s`);
    }
    checks.push(
      drift.length === 0
        ? ok(G, `queue ${queue.name}`, `exists, visibility timeout ${main.visibilityTimeout}s`)
        : warn(G, `queue ${queue.name}`, `exists; ${drift.join('; ')}`, recreate),
    );
  }
  checks.push(
    dlq
      ? ok(G, `DLQ ${queue.dlqName}`, `exists, retention ${dlq.retention}s`)
      : fail(
          G,
          `DLQ ${queue.dlqName}`,
          `does not exist: a ${queue.consumer} record that keeps failing has nowhere to rest`,
          recreate,
        ),
  );
  if (main) {
    const redrive = parseRedrive(main.redrivePolicy);
    const name = `redrive ${queue.name} → ${queue.dlqName}`;
    if (redrive === null) {
      checks.push(
        fail(
          G,
          name,
          `${queue.name} has no redrive policy: a failing message is retried until it expires, then lost`,
          recreate,
        ),
      );
    } else if (!dlq || redrive.target !== dlq.arn) {
      checks.push(
        fail(
          G,
          name,
          `the redrive policy targets ${redrive.target ?? 'nothing'}${dlq ? `, not ${dlq.arn}` : `, and ${queue.dlqName} does not exist`}`,
          recreate,
        ),
      );
    } else if (redrive.maxReceiveCount !== queue.maxReceiveCount) {
      checks.push(
        warn(
          G,
          name,
          `maxReceiveCount ${redrive.maxReceiveCount}, declared ${queue.maxReceiveCount}`,
          recreate,
        ),
      );
    } else {
      checks.push(ok(G, name, `maxReceiveCount ${redrive.maxReceiveCount}, target ${queue.dlqName}`));
    }
  }
  return { checks, arn: main?.arn };
}

async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchBucket') {
      return false;
    }
    throw error;
  }
}

function suffixOf(configuration: QueueConfiguration): string | undefined {
  return configuration.Filter?.Key?.FilterRules?.find((r) => r.Name?.toLowerCase() === 'suffix')?.Value;
}

async function tableChecks(dynamodb: DynamoDBClient, options: ResourceCheckOptions): Promise<CheckResult[]> {
  const { idempotency, state } = options.resources.tables;
  const declared = [
    { name: idempotency.name, keys: [`HASH ${idempotency.partitionKey}`], ttl: idempotency.ttlAttribute },
    {
      name: state.name,
      keys: [`HASH ${state.partitionKey}`, `RANGE ${state.sortKey}`],
      ttl: state.ttlAttribute,
    },
  ];
  const checks: CheckResult[] = [];
  for (const table of declared) {
    let keys: string[];
    try {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
      keys = (Table?.KeySchema ?? []).map((k) => `${k.KeyType} ${k.AttributeName}`);
    } catch (error) {
      if (
        error instanceof ResourceNotFoundException ||
        (error as Error).name === 'ResourceNotFoundException'
      ) {
        checks.push(fail(G, `table ${table.name}`, 'does not exist', options.recreate));
        continue;
      }
      throw error;
    }
    if (keys.join(', ') !== table.keys.join(', ')) {
      checks.push(
        fail(
          G,
          `table ${table.name}`,
          `key schema ${keys.join(', ') || 'none'}, declared ${table.keys.join(', ')}`,
          `recreate the table with the declared keys (${options.recreate})`,
        ),
      );
      continue;
    }
    if (options.mode === 'local') {
      // dynalite has no TTL; nothing relies on TTL deletion for correctness.
      checks.push(ok(G, `table ${table.name}`, `exists, keys ${keys.join(', ')}`));
      continue;
    }
    const { TimeToLiveDescription: ttl } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: table.name }),
    );
    checks.push(
      ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName === table.ttl
        ? ok(G, `table ${table.name}`, `exists, keys ${keys.join(', ')}, TTL on ${table.ttl}`)
        : warn(
            G,
            `table ${table.name}`,
            `exists, keys ${keys.join(', ')}; TTL ${ttl?.TimeToLiveStatus ?? 'DISABLED'}${ttl?.AttributeName ? ` on ${ttl.AttributeName}` : ''}, declared on ${table.ttl}: old records are never removed`,
            options.recreate,
          ),
    );
  }
  return checks;
}

export async function resourceChecks(
  clients: ResourceClients,
  options: ResourceCheckOptions,
): Promise<CheckResult[]> {
  const { resources, recreate } = options;
  const checks: CheckResult[] = [];
  const buckets = new Map<string, boolean>();
  for (const bucket of Object.values(resources.buckets)) {
    const exists = await bucketExists(clients.s3, bucket);
    buckets.set(bucket, exists);
    checks.push(
      exists ? ok(G, `bucket ${bucket}`, 'exists') : fail(G, `bucket ${bucket}`, 'does not exist', recreate),
    );
  }

  const urls = await listQueues(clients.sqs, resources.prefix);
  const queueArns = new Map<string, string | undefined>();
  for (const queue of Object.values(resources.queues)) {
    const { checks: found, arn } = await queueChecks(clients.sqs, urls, queue, recreate);
    checks.push(...found);
    queueArns.set(queue.name, arn);
  }

  for (const notification of resources.notifications) {
    const name = `notification ${notification.bucket} → ${notification.queue}`;
    const target = queueArns.get(notification.queue);
    if (!buckets.get(notification.bucket)) {
      checks.push(fail(G, name, `bucket ${notification.bucket} does not exist`, recreate));
      continue;
    }
    if (options.mode === 'local') {
      checks.push(
        target
          ? ok(G, name, `*${notification.suffix} (local bridge, routed as resources.ts declares)`)
          : fail(
              G,
              name,
              `the target queue does not exist: every write of a ${notification.suffix} into ${notification.bucket} fails`,
              recreate,
            ),
      );
      continue;
    }
    const { QueueConfigurations = [] } = await clients.s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: notification.bucket }),
    );
    const wired = QueueConfigurations.find((c) => target !== undefined && c.QueueArn === target);
    if (!wired) {
      checks.push(
        fail(
          G,
          name,
          `no notification of ${notification.bucket} targets ${notification.queue}${target ? '' : ' (the queue does not exist)'}: new units are never ${notification.queue.endsWith('load') ? 'loaded' : 'transformed'}`,
          recreate,
        ),
      );
      continue;
    }
    const created = (wired.Events ?? []).some(
      (e) => e === 's3:ObjectCreated:*' || e.startsWith('s3:ObjectCreated:'),
    );
    const suffix = suffixOf(wired);
    checks.push(
      created && suffix === notification.suffix
        ? ok(G, name, `s3:ObjectCreated for *${suffix}`)
        : fail(
            G,
            name,
            `events ${(wired.Events ?? []).join(', ') || 'none'}, suffix ${suffix ?? 'none'}; declared s3:ObjectCreated:* for *${notification.suffix}`,
            recreate,
          ),
    );
  }

  checks.push(...(await tableChecks(clients.dynamodb, options)));
  return checks;
}
