/**
 * `totes dlq list/show/redrive --aws` against moto_server, an independent implementation of the
 * AWS APIs, with the queues, DLQs (redrive and redrive-allow policies) and state table created as
 * the Terraform creates them. Skipped (reported as skipped) where moto_server is not installed.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pipelineResources } from '../../../shared/config/resources.ts';
import { failureStore } from '../../../shared/failures/index.ts';
import { runTotes } from '../../support/cli.ts';
import { MOTO_SERVER, type Moto, startMoto, testWithMoto } from '../../support/moto.ts';
import { createDeploymentQueues, createStateTable } from '../../support/moto-deployment.ts';

const REGION = 'eu-west-2';
const credentials = { accessKeyId: 'moto', secretAccessKey: 'moto' };
const resources = pipelineResources('totes', 'aws');
const manifest = 'units/2026/11/28/20261128T010000000Z-m1/manifest.json';
const notification = JSON.stringify({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: resources.buckets.processed },
        object: { key: manifest, eTag: 'e1', sequencer: '0A' },
      },
    },
  ],
});

describe(`totes dlq --aws against moto_server${MOTO_SERVER ? '' : ' (not installed: skipped)'}`, () => {
  let moto: Moto | undefined;
  let sqs: SQSClient;
  let cwd: string;
  let env: Record<string, string>;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    if (!MOTO_SERVER) return;
    moto = await startMoto();
    cwd = mkdtempSync(path.join(tmpdir(), 'totes-moto-'));
    env = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    sqs = new SQSClient({ region: REGION, endpoint: moto.endpoint, credentials });
    Object.assign(urls, await createDeploymentQueues(sqs, resources));
    const dynamo = new DynamoDBClient({ region: REGION, endpoint: moto.endpoint, credentials });
    const table = resources.tables.state;
    await createStateTable(dynamo, resources);
    await failureStore({ tableName: table.name, client: DynamoDBDocumentClient.from(dynamo) }).record({
      stage: 'load',
      bucket: resources.buckets.processed,
      key: manifest,
      messageId: 'earlier',
      eTag: 'e1',
      error: new Error('relation "fact_x" does not exist'),
      attempt: 5,
    });
    dynamo.destroy();
    for (const body of [notification, 'not a notification \u001b[2J'])
      await sqs.send(new SendMessageCommand({ QueueUrl: urls['totes-load-dlq'], MessageBody: body }));
  });

  afterAll(async () => {
    sqs?.destroy();
    await moto?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  testWithMoto('dlq list --aws: every DLQ with its depth and source queue', async () => {
    const run = await runTotes(['dlq', 'list', '--aws', '--json'], { env, cwd });
    expect(run.stderr).not.toMatch(/a bug|\n\s+at /);
    expect(run.code).toBe(0);
    const entries = JSON.parse(run.stdout) as { queue: string; depth: number; source: string | null }[];
    expect(entries.map((e) => [e.queue, e.depth, e.source])).toEqual([
      ['totes-transform-dlq', 0, 'totes-transform'],
      ['totes-load-dlq', 2, 'totes-load'],
    ]);
  });

  testWithMoto('dlq show --aws: each message with its failure record, controls escaped', async () => {
    const run = await runTotes(['dlq', 'show', 'totes-load-dlq', '--aws'], { env, cwd });
    expect(run.stderr).not.toMatch(/a bug|\n\s+at /);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`object:        ${resources.buckets.processed}/${manifest}`);
    expect(run.stdout).toContain('message:       relation "fact_x" does not exist');
    expect(run.stdout).not.toContain('\u001b');
  });

  testWithMoto(
    'dlq redrive --aws (receive, back up, send, delete): the messages return to their queue',
    async () => {
      const backup = path.join(cwd, 'redrive.jsonl');
      const run = await runTotes(
        ['dlq', 'redrive', 'totes-load-dlq', '--aws', '--all', '--backup', backup, '--json'],
        {
          env,
          cwd,
        },
      );
      expect(run.stderr).not.toMatch(/a bug|\n\s+at /);
      expect(run.code).toBe(0);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: urls['totes-load'],
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      expect(Messages.map((m) => m.Body).sort()).toEqual(
        [notification, 'not a notification \u001b[2J'].sort(),
      );
    },
  );

  testWithMoto(
    'an AWS call the service refuses is one line naming the call and its message, exit 2',
    async () => {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: urls['totes-transform-dlq'], MessageBody: notification }),
      );
      // moto has no StartMessageMoveTask (what `redrive --all` uses on AWS without --backup).
      const run = await runTotes(['dlq', 'redrive', 'totes-transform-dlq', '--aws', '--all'], { env, cwd });
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^totes: SQS StartMessageMoveTask failed: \S+: /);
      expect(run.stderr).not.toMatch(/a bug/);
    },
  );
});
