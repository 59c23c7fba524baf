import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { PipelineResources, QueueResource } from '../../../../shared/config/resources.ts';

/** The account id fauxqs puts in every ARN. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * Creates the deployment's buckets, queues (with DLQs and redrive policies) and tables on the
 * emulators through the real SDK, exactly as declared in shared/config/resources.ts. Idempotent:
 * existing resources are kept (queue attributes are brought in line with the declaration).
 */
export async function createResources(
  resources: PipelineResources,
  clients: { s3: S3Client; sqs: SQSClient; dynamodb: DynamoDBClient },
): Promise<Record<string, string>> {
  for (const bucket of Object.values(resources.buckets)) await ensureBucket(clients.s3, bucket);
  const queueUrls: Record<string, string> = {};
  for (const queue of Object.values(resources.queues)) {
    Object.assign(queueUrls, await ensureQueueWithDlq(clients.sqs, queue));
  }
  const { idempotency, state } = resources.tables;
  await ensureTable(clients.dynamodb, {
    TableName: idempotency.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: idempotency.partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: idempotency.partitionKey, KeyType: 'HASH' }],
  });
  await ensureTable(clients.dynamodb, stateTableInput(state));
  // TTL (`expiration`, `expires_at`): dynalite has no UpdateTimeToLive, so it is not enabled
  // locally; expired items simply stay. Code must never rely on TTL deletion for correctness
  // (Powertools compares the expiry itself). On AWS the Terraform enables TTL on both tables.
  return queueUrls;
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

async function ensureQueueWithDlq(sqs: SQSClient, queue: QueueResource): Promise<Record<string, string>> {
  const region = await sqs.config.region();
  const arn = (name: string) => `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`;
  const dlqUrl = await ensureQueue(
    sqs,
    queue.dlqName,
    {
      MessageRetentionPeriod: String(queue.dlqRetentionSeconds),
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    },
    {
      RedriveAllowPolicy: JSON.stringify({
        redrivePermission: 'byQueue',
        sourceQueueArnList: [arn(queue.name)],
      }),
    },
  );
  const dlqArn = await queueArn(sqs, dlqUrl);
  const url = await ensureQueue(sqs, queue.name, {
    MessageRetentionPeriod: String(queue.messageRetentionSeconds),
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: queue.maxReceiveCount }),
  });
  return { [queue.name]: url, [queue.dlqName]: dlqUrl };
}

/**
 * Creates the queue, or brings an existing one's attributes in line. `createOnly` attributes are
 * given at creation only: fauxqs's SetQueueAttributes does not accept RedriveAllowPolicy (it is
 * derived from names, so it cannot drift).
 */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
  createOnly: Record<string, string> = {},
): Promise<string> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
  }
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { ...attributes, ...createOnly } }),
  );
  return QueueUrl!;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return Attributes!.QueueArn!;
}

/** The pipeline state table (`pk` / `sk` strings) as declared in shared/config/resources.ts, named `table.name`. */
export function stateTableInput(
  table: Pick<PipelineResources['tables']['state'], 'partitionKey' | 'sortKey'> & { readonly name: string },
): CreateTableCommandInput {
  return {
    TableName: table.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: table.partitionKey, AttributeType: 'S' },
      { AttributeName: table.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
  };
}

async function ensureTable(dynamodb: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${input.TableName} did not become ACTIVE`);
}
