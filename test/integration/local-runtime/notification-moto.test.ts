import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { freePort } from '../../../services/tools/local-runtime/embedded-postgres.ts';
import { type Clients, clientsFor, drain, isTestEvent, sleep } from './support.ts';

/**
 * moto_server emulates S3 → SQS notifications natively. Where it is installed, the bridge's
 * message for the same PutObject must contain everything moto's does, with the same value types
 * and the same key encoding. (moto omits several fields real S3 sends — userIdentity,
 * requestParameters, responseElements, ownerIdentity, sequencer — so those are checked against
 * the documented S3 shape instead, in notification-bridge.test.ts.)
 */
const moto = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'moto_server'))
  .find((file) => existsSync(file));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** path → JSON type, for every leaf and container of a document. */
function shape(value: Json, at = '$', into = new Map<string, string>()): Map<string, string> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  into.set(at, type);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) shape(item, `${at}[${i}]`, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) shape(item, `${at}.${key}`, into);
  }
  return into;
}

// Keys whose encoding both agree on: moto (Python quote_plus) differs from S3 only for '/', '~', '*'.
const KEY = 'run 1 a+b%c é(1)=x:manifest.json';
const BODY = '{"manifest":true}';

async function motoNotification(endpoint: string): Promise<{ testEvent: Json; event: Json }> {
  const config = {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' },
  };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sqs = new SQSClient(config);
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'shape' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'shape-bucket' }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'shape-bucket',
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Id: 'manifests',
              QueueArn: Attributes!.QueueArn!,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: 'manifest.json' }] } },
            },
          ],
        },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'shape-bucket', Key: KEY, Body: BODY }));
    const bodies = await drain(sqs, QueueUrl!);
    const testEvent = bodies.find(isTestEvent);
    const event = bodies.find((body) => !isTestEvent(body));
    if (!testEvent || !event) throw new Error(`moto sent ${JSON.stringify(bodies)}`);
    return { testEvent: JSON.parse(testEvent), event: JSON.parse(event) };
  } finally {
    s3.destroy();
    sqs.destroy();
  }
}

async function startMoto(): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(moto!, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  // Until it answers (a Python start takes seconds on a loaded machine), or it exits, or a minute.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      return { endpoint, process: child };
    } catch {
      await sleep(100);
    }
  }
  child.kill();
  throw new Error('moto_server did not start');
}

const title = `the bridge’s message holds everything moto_server’s does, with the same types and key encoding${moto ? '' : ' (moto_server is not on PATH: skipped)'}`;

describe('S3 notification shape against moto_server', () => {
  let aws: LocalAws | undefined;
  let clients: Clients | undefined;
  let motoServer: ChildProcess | undefined;

  afterAll(async () => {
    clients?.destroy();
    await aws?.stop();
    if (motoServer && motoServer.exitCode === null) {
      const exited = new Promise((resolve) => motoServer!.once('exit', resolve));
      motoServer.kill();
      await exited;
    }
  });

  // Jest's own skip where moto_server is missing: the run counts it as skipped, never as passed.
  (moto ? test : test.skip)(title, async () => {
    const started = await startMoto();
    motoServer = started.process;
    const reference = await motoNotification(started.endpoint);

    aws = await startLocalAws({ prefix: 'shape' });
    clients = clientsFor(aws);
    const queueUrl = aws.queueUrls['shape-transform']!;
    const ours = { testEvent: null as Json, event: null as Json };
    ours.testEvent = JSON.parse((await drain(clients.sqs, queueUrl))[0]!);
    await clients.s3.send(new PutObjectCommand({ Bucket: 'shape-ingestion', Key: KEY, Body: BODY }));
    ours.event = JSON.parse((await drain(clients.sqs, queueUrl))[0]!);

    for (const kind of ['event', 'testEvent'] as const) {
      const theirs = shape(reference[kind]);
      const mine = shape(ours[kind]);
      const missing = [...theirs].filter(([at, type]) => mine.get(at) !== type);
      expect(missing).toEqual([]);
    }
    const extra = [...shape(ours.event).keys()].filter((at) => !shape(reference.event).has(at)).sort();
    // What real S3 sends and moto leaves out.
    expect(extra).toEqual([
      '$.Records[0].requestParameters',
      '$.Records[0].requestParameters.sourceIPAddress',
      '$.Records[0].responseElements',
      '$.Records[0].responseElements.x-amz-id-2',
      '$.Records[0].responseElements.x-amz-request-id',
      '$.Records[0].s3.bucket.ownerIdentity',
      '$.Records[0].s3.bucket.ownerIdentity.principalId',
      '$.Records[0].s3.object.sequencer',
      '$.Records[0].userIdentity',
      '$.Records[0].userIdentity.principalId',
    ]);

    type Obj = { key: string; size: number; eTag: string };
    type Rec = { eventVersion: string; eventSource: string; eventName: string; s3: { object: Obj } };
    const theirRecord = (reference.event as { Records: Rec[] }).Records[0]!;
    const ourRecord = (ours.event as { Records: Rec[] }).Records[0]!;
    for (const field of ['eventVersion', 'eventSource', 'eventName'] as const) {
      expect(ourRecord[field]).toBe(theirRecord[field]);
    }
    const theirObject = theirRecord.s3.object;
    const ourObject = ourRecord.s3.object;
    expect(ourObject.key).toBe(theirObject.key);
    expect(ourObject.size).toBe(theirObject.size);
    expect(ourObject.eTag).toBe(theirObject.eTag);
    expect(decodeURIComponent(ourObject.key.replace(/\+/g, ' '))).toBe(KEY);
  });
});
