import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { PipelineResources } from '../../shared/config/resources.ts';

/**
 * A deployment's queues as infra-terraform/sqs.tf creates them: each DLQ, its main queue with the
 * redrive policy, then the DLQ's redrive allow policy naming the main queue. Resolves with
 * queue name → URL.
 */
export async function createDeploymentQueues(
  sqs: SQSClient,
  resources: PipelineResources,
): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  const arn = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
  for (const queue of Object.values(resources.queues)) {
    const { QueueUrl: dlqUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: queue.dlqName, Attributes: { MessageRetentionPeriod: '1209600' } }),
    );
    const { QueueUrl: mainUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: queue.name,
        Attributes: {
          VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: await arn(dlqUrl!),
            maxReceiveCount: queue.maxReceiveCount,
          }),
        },
      }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: dlqUrl,
        Attributes: {
          RedriveAllowPolicy: JSON.stringify({
            redrivePermission: 'byQueue',
            sourceQueueArns: [await arn(mainUrl!)],
          }),
        },
      }),
    );
    urls[queue.name] = mainUrl!;
    urls[queue.dlqName] = dlqUrl!;
  }
  return urls;
}

/** The pipeline state table as infra-terraform/dynamodb.tf creates it (on demand, pk + sk). */
export async function createStateTable(dynamo: DynamoDBClient, resources: PipelineResources): Promise<void> {
  const table = resources.tables.state;
  await dynamo.send(
    new CreateTableCommand({
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
    }),
  );
}
