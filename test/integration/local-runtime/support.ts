import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { dynamoDbClient, s3Client, sqsClient } from '../../../shared/aws/clients.ts';

/**
 * SDK clients exactly as production code builds them (shared/aws/clients.ts), pointed at the
 * harness through the environment it hands out.
 */
export interface Clients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  destroy(): void;
}

export function clientsFor(aws: LocalAws): Clients {
  Object.assign(process.env, aws.env);
  const s3 = s3Client();
  const sqs = sqsClient();
  const dynamodb = dynamoDbClient();
  return {
    s3,
    sqs,
    dynamodb,
    destroy: () => {
      s3.destroy();
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

export function tempStateDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `totes-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every message currently receivable (up to `max`), with system attributes. */
export async function receiveAll(sqs: SQSClient, queueUrl: string, visibilityTimeout = 30, max = 100) {
  const messages = [];
  while (messages.length < max) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilityTimeout,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!Messages || Messages.length === 0) break;
    messages.push(...Messages);
  }
  return messages;
}

/** Receives and deletes everything receivable now; returns the bodies. */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const messages = await receiveAll(sqs, queueUrl);
  for (const message of messages) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  return messages.map((message) => message.Body ?? '');
}

export const isTestEvent = (body: string | undefined) =>
  (JSON.parse(body ?? '{}') as { Event?: string }).Event === 's3:TestEvent';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
