/**
 * The dlq commands against the local AWS stand-ins (no database): a runtime.json points the
 * commands at emulators this test started, as `npm start` would.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type CommandIo,
  dlqListCommand,
  dlqPurgeCommand,
  dlqRedriveCommand,
  dlqShowCommand,
} from '../../../services/tools/cli/commands/dlq.ts';
import { CliError, UsageError } from '../../../services/tools/cli/errors.ts';
import {
  LOCAL_CREDENTIALS,
  type LocalAws,
  startLocalAws,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { writeRuntimeFiles } from '../../../services/tools/local-runtime/runtime-file.ts';
import { lockStateFolder, type StateFolderLock } from '../../../services/tools/local-runtime/state-lock.ts';
import { type AlarmState, notifyChanges } from '../../../services/tools/ops/alarms/index.ts';
import {
  type DlqListEntry,
  type DlqMessageView,
  localTarget,
  redrive,
} from '../../../services/tools/ops/dlq/index.ts';
import { failureStore } from '../../../shared/failures/index.ts';

function capture(): { io: CommandIo; text: () => string } {
  let out = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  return {
    io: { out: sink((s) => (out += s)), err: sink(() => {}), stdin: Readable.from([]) },
    text: () => out,
  };
}

const notification = (key: string) =>
  JSON.stringify({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: 'totes-processed' },
          object: { key, eTag: `etag-${key.length}`, sequencer: '0A' },
        },
      },
    ],
  });

describe('totes dlq commands on the local stand-ins', () => {
  let stateDir: string;
  let aws: LocalAws;
  let sqs: SQSClient;
  let lock: StateFolderLock;
  const ids: string[] = [];

  const depth = async (name: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: aws.queueUrls[name],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    };
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-dlq-cmd-'));
    aws = await startLocalAws({ stateDir: path.join(stateDir, 'aws'), testEvents: false });
    // What a running `npm start` leaves for other commands: the folder's lock and runtime.json.
    lock = await lockStateFolder(stateDir, 'test', 'running');
    writeRuntimeFiles(stateDir, {
      pid: process.pid,
      startedAt: lock.holder().startedAt,
      phase: 'running',
      endpoints: aws.endpoints,
      prefix: 'totes',
      stateDir,
    });
    sqs = new SQSClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: LOCAL_CREDENTIALS });
    for (const key of [
      'units/2026/11/28/r1/manifest.json',
      'units/2026/11/28/r2/manifest.json',
      'units/2026/11/28/r3/manifest.json',
    ]) {
      const { MessageId } = await sqs.send(
        new SendMessageCommand({ QueueUrl: aws.queueUrls['totes-load-dlq'], MessageBody: notification(key) }),
      );
      ids.push(MessageId ?? '');
    }
    await sqs.send(
      new SendMessageCommand({ QueueUrl: aws.queueUrls['totes-load-dlq'], MessageBody: 'hello' }),
    );
    const dynamo = new DynamoDBClient({
      region: aws.region,
      endpoint: aws.endpoints.dynamodb,
      credentials: LOCAL_CREDENTIALS,
    });
    await failureStore({
      tableName: 'totes-pipeline-state',
      client: DynamoDBDocumentClient.from(dynamo),
    }).record({
      stage: 'load',
      bucket: 'totes-processed',
      key: 'units/2026/11/28/r1/manifest.json',
      messageId: 'earlier',
      eTag: null,
      error: new Error('load failed', {
        cause: Object.assign(new Error('relation "fact_x" does not exist'), { code: '42P01' }),
      }),
      attempt: 5,
    });
    dynamo.destroy();
  });

  afterAll(async () => {
    sqs?.destroy();
    await aws?.stop();
    await lock?.release();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('list: every DLQ with depth and source', async () => {
    const c = capture();
    await dlqListCommand({ stateDir, json: true }, c.io);
    const entries = JSON.parse(c.text()) as DlqListEntry[];
    expect(entries.map((e) => [e.queue, e.depth, e.source])).toEqual([
      ['totes-transform-dlq', 0, 'totes-transform'],
      ['totes-load-dlq', 4, 'totes-load'],
    ]);
    expect(entries[1]?.oldestAgeSeconds).toEqual(expect.any(Number));
  });

  it('show: key, receive count, sent time, the recorded reason; a foreign body is explained; nothing consumed', async () => {
    const c = capture();
    await dlqShowCommand('totes-load-dlq', { stateDir, json: true }, c.io);
    const views = JSON.parse(c.text()) as DlqMessageView[];
    expect(views).toHaveLength(4);
    expect(views[0]).toMatchObject({
      messageId: ids[0],
      key: 'units/2026/11/28/r1/manifest.json',
      receiveCount: 0,
      failure: { errorClass: 'Error', attempt: 5 },
    });
    expect(views[0]?.failure?.errorMessage).toContain('relation "fact_x" does not exist (code 42P01)');
    expect(views[1]?.failure).toBeNull();
    expect(views[3]).toMatchObject({ object: null, note: expect.stringContaining('not an S3 notification') });
    expect(await depth('totes-load-dlq')).toEqual({ visible: 4, inFlight: 0 });
    await expect(dlqShowCommand('totes-nope', { stateDir }, capture().io)).rejects.toThrow(CliError);
  });

  it('redrive --message-id: dry run moves nothing; then only that message moves, the others are visible again at once', async () => {
    const dry = capture();
    const planned = await dlqRedriveCommand(
      'totes-load-dlq',
      { stateDir, messageId: [ids[1]!], dryRun: true },
      dry.io,
    );
    expect(planned).toMatchObject({ mode: 'dry-run', messageIds: [ids[1]], moved: 0 });
    expect(await depth('totes-load-dlq')).toEqual({ visible: 4, inFlight: 0 });

    const result = await dlqRedriveCommand(
      'totes-load-dlq',
      { stateDir, messageId: [ids[1]!], rate: 20 },
      capture().io,
    );
    expect(result).toMatchObject({ mode: 'receive-send-delete', moved: 1, messageIds: [ids[1]] });
    expect(await depth('totes-load-dlq')).toEqual({ visible: 3, inFlight: 0 });
    expect((await depth('totes-load')).visible).toBe(1);

    await expect(
      dlqRedriveCommand('totes-load-dlq', { stateDir, messageId: ['no-such-id'] }, capture().io),
    ).rejects.toThrow(/1 message id\(s\) not found/);
    expect(await depth('totes-load-dlq')).toEqual({ visible: 3, inFlight: 0 });
    await expect(dlqRedriveCommand('totes-load-dlq', { stateDir }, capture().io)).rejects.toBeInstanceOf(
      UsageError,
    );
  });

  it('redrive interrupted (Ctrl-C) after the first message: the rest are visible in the DLQ again at once; a second redrive moves them', async () => {
    for (let i = 0; i < 5; i++) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: aws.queueUrls['totes-transform-dlq'],
          MessageBody: notification(`units/2026/11/28/t${i}/manifest.json`),
        }),
      );
    }
    const target = localTarget({
      stateDir,
      endpoints: aws.endpoints,
      region: aws.region,
      resources: aws.resources,
      detach: async () => {},
    });
    try {
      const controller = new AbortController();
      const first = await redrive(target, await target.dlq('totes-transform-dlq'), {
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 1) controller.abort();
        },
      });
      expect(first).toMatchObject({ moved: 1, aborted: true });
      expect(await depth('totes-transform-dlq')).toEqual({ visible: 4, inFlight: 0 });
      const second = await redrive(target, await target.dlq('totes-transform-dlq'));
      expect(second).toMatchObject({ moved: 4, aborted: false });
    } finally {
      await target.close();
    }
    expect(await depth('totes-transform-dlq')).toEqual({ visible: 0, inFlight: 0 });
    expect((await depth('totes-transform')).visible).toBe(5);
  });

  it('purge: refused without --yes when stdin is not a terminal; with --yes backs up every message, then deletes', async () => {
    await expect(dlqPurgeCommand('totes-load-dlq', { stateDir }, capture().io)).rejects.toThrow(
      /refusing to purge without --yes/,
    );
    const c = capture();
    await dlqPurgeCommand('totes-load-dlq', { stateDir, yes: true, json: true }, c.io);
    const result = JSON.parse(c.text()) as { deleted: number; backupFile: string };
    expect(result.deleted).toBe(3);
    expect(result.backupFile.startsWith(path.join(stateDir, 'dlq-backups'))).toBe(true);
    const lines = readFileSync(result.backupFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { body: string; action: string });
    expect(lines.map((l) => l.action)).toEqual(['purge', 'purge', 'purge']);
    expect(lines.map((l) => l.body)).toContain('hello');
    expect(await depth('totes-load-dlq')).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe('alarm webhook', () => {
  let server: Server;
  let url: string;
  let status = 500;
  const received: unknown[] = [];
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-webhook-'));
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += String(chunk)));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(stateDir, { recursive: true, force: true });
  });

  const state = (value: 'OK' | 'ALARM'): AlarmState => ({
    name: 'totes-load-dlq-messages-visible',
    id: 'load-dlq-messages-visible',
    kind: 'dlq-depth',
    stage: 'load',
    state: value,
    reason: 'r',
    value: value === 'ALARM' ? 1 : 0,
    threshold: 0,
    runbook: 'dlq-messages-visible',
  });

  it('retries a change the webhook refused; posts each change once; remembers states in the state folder', async () => {
    await expect(notifyChanges([state('ALARM')], { stateDir, url })).rejects.toThrow(/HTTP 500/);
    status = 204;
    expect((await notifyChanges([state('ALARM')], { stateDir, url })).posted).toHaveLength(1);
    expect((await notifyChanges([state('ALARM')], { stateDir, url })).posted).toHaveLength(0);
    expect((await notifyChanges([state('OK')], { stateDir, url })).posted).toHaveLength(1);
    expect(received).toEqual([
      expect.objectContaining({ state: 'ALARM', previousState: 'OK' }),
      expect.objectContaining({ state: 'ALARM', previousState: 'OK' }),
      expect.objectContaining({
        state: 'OK',
        previousState: 'ALARM',
        alarm: 'totes-load-dlq-messages-visible',
      }),
    ]);
    expect(JSON.parse(readFileSync(path.join(stateDir, 'alarm-states.json'), 'utf8'))).toMatchObject({
      states: { 'totes-load-dlq-messages-visible': 'OK' },
    });
  });
});
