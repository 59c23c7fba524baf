import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import {
  type LocalAws,
  readRunningLocalAws,
  StateDirInUseError,
  startLocalAws,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { moveClockForward, restoreClock } from '../../support/clock.ts';
import { type Clients, clientsFor, drain, isTestEvent, receiveAll, tempStateDir } from './support.ts';

type Started = { aws: LocalAws; clients: Clients };

async function start(stateDir: string, prefix: string, testEvents = true): Promise<Started> {
  const aws = await startLocalAws({ stateDir, prefix, testEvents });
  return { aws, clients: clientsFor(aws) };
}

async function stop({ aws, clients }: Started): Promise<void> {
  clients.destroy();
  await aws.stop();
}

async function depth(clients: Clients, queueUrl: string) {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    ready: Number(Attributes?.ApproximateNumberOfMessages),
    inflight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
  };
}

/** Redrive settings and timeouts of every queue, by name. */
async function redrive(clients: Clients, queueUrls: Readonly<Record<string, string>>) {
  const out: Record<string, Record<string, string> | undefined> = {};
  for (const [name, QueueUrl] of Object.entries(queueUrls)) {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: [
          'RedrivePolicy',
          'RedriveAllowPolicy',
          'VisibilityTimeout',
          'MessageRetentionPeriod',
        ],
      }),
    );
    out[name] = Attributes;
  }
  return out;
}

describe('local AWS harness persistence', () => {
  test('a restart finds objects (as plain files), messages in their states, items and resources', async () => {
    const state = tempStateDir('persist');
    try {
      let run = await start(state.dir, 'keep');
      const queueUrls = { ...run.aws.queueUrls };
      const loadUrl = queueUrls['keep-load']!;
      const redriveBefore = await redrive(run.clients, queueUrls);
      expect(redriveBefore['keep-load']?.RedrivePolicy).toContain('keep-load-dlq');
      // First start: one s3:TestEvent per notified queue.
      expect((await drain(run.clients.sqs, loadUrl)).map(isTestEvent)).toEqual([true]);

      const bucket = 'keep-processed';
      const body = Buffer.from('PAR1 not really parquet \u0000\u00ff bytes PAR1', 'latin1');
      await run.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'units/r 1/dim_staff.0001.parquet', Body: body }),
      );
      await run.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'units/gone.json', Body: 'x' }));
      await run.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'units/gone.json' }));
      const big = Buffer.alloc(12 * 1024 * 1024, 'z');
      await new Upload({
        client: run.clients.s3,
        params: { Bucket: bucket, Key: 'units/big.bin', Body: big },
      }).done();

      // A message that has already been received 3 times (maxReceiveCount is 5).
      const poison = await run.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: loadUrl, MessageBody: 'poison' }),
      );
      for (let i = 0; i < 3; i += 1) {
        await run.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: loadUrl, VisibilityTimeout: 0 }));
      }
      const inflight = await run.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: loadUrl, MessageBody: 'in flight' }),
      );
      // Receives poison (4th time) and `in flight`, both invisible for 5 minutes: far longer than
      // any restart on a loaded machine; the test moves the clock instead of waiting.
      const received = await run.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: loadUrl, VisibilityTimeout: 300, MaxNumberOfMessages: 10 }),
      );
      expect(received.Messages?.map((m) => m.MessageId).sort()).toEqual(
        [poison.MessageId, inflight.MessageId].sort(),
      );
      await run.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: loadUrl, MessageBody: 'later', DelaySeconds: 300 }),
      );
      await run.clients.dynamodb.send(
        new PutItemCommand({
          TableName: 'keep-pipeline-state',
          Item: { pk: { S: 'RUN' }, sk: { S: 'r1' }, rows: { N: '42' } },
        }),
      );
      await stop(run);

      // Objects are plain files with exact bytes; metadata lives outside the bucket folder.
      const plain = path.join(state.dir, 's3', bucket, 'units', 'r 1', 'dim_staff.0001.parquet');
      expect(readFileSync(plain)).toEqual(body);
      expect(readFileSync(path.join(state.dir, 's3', bucket, 'units', 'big.bin')).equals(big)).toBe(true);
      expect(existsSync(path.join(state.dir, 's3', bucket, 'units', 'gone.json'))).toBe(false);
      expect(readdirSync(path.join(state.dir, 's3', bucket, 'units')).sort()).toEqual(['big.bin', 'r 1']);

      run = await start(state.dir, 'keep');
      try {
        // Same resources, created idempotently; no second test event for an unchanged configuration.
        expect(Object.keys(run.aws.queueUrls).sort()).toEqual(Object.keys(queueUrls).sort());
        const { clients } = run;
        expect(await redrive(clients, run.aws.queueUrls)).toEqual(redriveBefore);
        const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        expect(listed.Contents?.map((o) => o.Key)).toEqual([
          'units/big.bin',
          'units/r 1/dim_staff.0001.parquet',
        ]);
        const got = await clients.s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: 'units/r 1/dim_staff.0001.parquet' }),
        );
        expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
        const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'units/big.bin' }));
        expect(head.ContentLength).toBe(big.length);
        expect(head.ETag).toMatch(/-3"$/);

        expect(await depth(clients, loadUrl)).toEqual({ ready: 0, inflight: 2, delayed: 1 });
        const item = await clients.dynamodb.send(
          new GetItemCommand({
            TableName: 'keep-pipeline-state',
            Key: { pk: { S: 'RUN' }, sk: { S: 'r1' } },
          }),
        );
        expect(item.Item?.rows).toEqual({ N: '42' });

        // The visibility timeout and the delay pass (Date moves; the emulator compares with it).
        moveClockForward(301_000);
        const back = await receiveAll(clients.sqs, loadUrl, 1);
        const counts = Object.fromEntries(back.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]));
        // poison: 4 receives before the restart + this one = 5 = maxReceiveCount; no test event.
        expect(counts).toEqual({ poison: '5', 'in flight': '2', later: '1' });
      } finally {
        await stop(run);
      }

      // Receive counts survive restarts, so maxReceiveCount still moves poison to the DLQ.
      run = await start(state.dir, 'keep');
      try {
        // The 1 s visibility of the receive above has passed (the clock moves on from where it was).
        moveClockForward(2_000);
        const again = await receiveAll(run.clients.sqs, loadUrl, 30);
        expect(again.map((m) => m.Body).sort()).toEqual(['in flight', 'later']);
        const dlq = await receiveAll(run.clients.sqs, run.aws.queueUrls['keep-load-dlq']!);
        expect(dlq.map((m) => [m.MessageId, m.Body])).toEqual([[poison.MessageId, 'poison']]);
      } finally {
        await stop(run);
        restoreClock();
      }
    } finally {
      restoreClock();
      state.remove();
    }
  });

  test('nothing acknowledged is lost when the process is killed with SIGKILL', async () => {
    const state = tempStateDir('crash');
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [fileURLToPath(new URL('fixtures/crash-writer.ts', import.meta.url)), state.dir],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child!.stdout! }).once('line', resolve);
        child!.once('exit', (code) => reject(new Error(`crash-writer exited early (${code})`)));
      });
      // Killed right after the last acknowledged write: no shutdown code runs.
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      const acked = JSON.parse(line) as Record<string, string>;

      const run = await start(state.dir, 'crash', false);
      try {
        const { clients, aws } = run;
        const loadUrl = aws.queueUrls['crash-load']!;
        const manifest = await clients.s3.send(
          new GetObjectCommand({ Bucket: 'crash-ingestion', Key: acked.manifestKey }),
        );
        expect(await manifest.Body?.transformToString()).toBe('{"manifest":true}');
        expect(manifest.ETag).toBe(acked.manifestETag);
        expect(readFileSync(path.join(state.dir, 's3', 'crash-ingestion', acked.manifestKey!), 'utf8')).toBe(
          '{"manifest":true}',
        );
        // The manifest's notification was persisted with it.
        const notes = (await drain(clients.sqs, aws.queueUrls['crash-transform']!)).filter(
          (b) => !isTestEvent(b),
        );
        expect(notes.map((b) => JSON.parse(b).Records[0].s3.object.key)).toEqual([
          'units/2026/11/28/run+1/manifest.json',
        ]);
        const item = await clients.dynamodb.send(
          new GetItemCommand({
            TableName: 'crash-pipeline-state',
            Key: { pk: { S: 'WATERMARK' }, sk: { S: 'sales_order' } },
          }),
        );
        expect(item.Item?.value).toEqual({ S: '2026-11-28 01:00:00.000' });

        expect(await depth(clients, loadUrl)).toEqual({ ready: 1, inflight: 1, delayed: 1 });
        // Received and hidden for an hour: it stays hidden when the clock moves 5 minutes below.
        const now = await receiveAll(clients.sqs, loadUrl, 3600);
        expect(now.map((m) => m.MessageId)).toEqual([acked.ready]);
        // The in-flight one returns at its deadline with its receive count; the delayed one appears
        // (both 5 minutes after the writes: Date moves past them; the emulator compares with it).
        moveClockForward(301_000);
        const later = await receiveAll(clients.sqs, loadUrl, 30);
        expect(
          Object.fromEntries(later.map((m) => [m.MessageId, m.Attributes?.ApproximateReceiveCount])),
        ).toEqual({
          [acked.inflight!]: '2',
          [acked.delayed!]: '1',
        });
      } finally {
        await stop(run);
        restoreClock();
      }
    } finally {
      restoreClock();
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      state.remove();
    }
  });

  test('killed mid-stream with writes in flight, every acknowledged object keeps its notification', async () => {
    const state = tempStateDir('stream');
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [fileURLToPath(new URL('fixtures/crash-stream.ts', import.meta.url)), state.dir],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const acked: { put?: string; eTag?: string; sent?: string }[] = [];
      const lines = createInterface({ input: child.stdout! });
      const closed = new Promise((resolve) => lines.once('close', resolve));
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (line) => {
          acked.push(JSON.parse(line));
          if (acked.length === 60) resolve();
        });
        child!.once('exit', (code) => reject(new Error(`crash-stream exited early (${code})`)));
      });
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await Promise.all([exited, closed]); // and every line the child wrote before it died
      const puts = acked.filter((a) => a.put !== undefined);
      const sent = acked.filter((a) => a.sent !== undefined).map((a) => a.sent);
      expect(puts.length).toBeGreaterThan(10);

      const run = await start(state.dir, 'stream', false);
      try {
        const { clients, aws } = run;
        for (const { put, eTag } of puts) {
          const head = await clients.s3.send(new HeadObjectCommand({ Bucket: 'stream-ingestion', Key: put }));
          expect(head.ETag).toBe(eTag);
        }
        const notified = new Set(
          (await receiveAll(clients.sqs, aws.queueUrls['stream-transform']!, 30, 10_000)).map((m) =>
            decodeURIComponent(JSON.parse(m.Body!).Records[0].s3.object.key.replace(/\+/g, ' ')),
          ),
        );
        expect(puts.map((p) => p.put).filter((key) => !notified.has(key!))).toEqual([]);
        const messages = new Set(
          (await receiveAll(clients.sqs, aws.queueUrls['stream-load']!, 30, 10_000)).map((m) => m.MessageId),
        );
        expect(sent.filter((id) => !messages.has(id))).toEqual([]);
      } finally {
        await stop(run);
      }
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      state.remove();
    }
  });

  test('a file found without metadata is adopted as a created object and notified', async () => {
    const state = tempStateDir('adopt');
    try {
      const dir = path.join(state.dir, 's3', 'adopt-ingestion', 'units', 'by hand');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'manifest.json'), '{"copied":"in"}');
      const run = await start(state.dir, 'adopt');
      try {
        const { clients, aws } = run;
        const head = await clients.s3.send(
          new HeadObjectCommand({ Bucket: 'adopt-ingestion', Key: 'units/by hand/manifest.json' }),
        );
        expect(head.ContentLength).toBe(15);
        const notes = (await drain(clients.sqs, aws.queueUrls['adopt-transform']!)).filter(
          (b) => !isTestEvent(b),
        );
        expect(notes.map((b) => JSON.parse(b).Records[0].s3.object)).toEqual([
          expect.objectContaining({
            key: 'units/by+hand/manifest.json',
            size: 15,
            eTag: head.ETag!.replace(/"/g, ''),
          }),
        ]);
      } finally {
        await stop(run);
      }
      // Adopted once: the next start neither re-notifies nor loses it.
      const again = await start(state.dir, 'adopt');
      try {
        expect(await drain(again.clients.sqs, again.aws.queueUrls['adopt-transform']!)).toEqual([]);
        const listed = await again.clients.s3.send(new ListObjectsV2Command({ Bucket: 'adopt-ingestion' }));
        expect(listed.Contents?.map((o) => o.Key)).toEqual(['units/by hand/manifest.json']);
      } finally {
        await stop(again);
      }
    } finally {
      state.remove();
    }
  });

  test('keys that cannot be paths (trailing or double slashes, "..", over-long, file vs folder) survive', async () => {
    const state = tempStateDir('keys');
    const keys = ['dir/', 'a/../b', 'x', 'x/y', '/lead', 'double//slash', 'n'.repeat(300), 'plain/file.json'];
    try {
      let run = await start(state.dir, 'keys');
      for (const Key of keys) {
        await run.clients.s3.send(
          new PutObjectCommand({ Bucket: 'keys-processed', Key, Body: `body of ${Key}` }),
        );
      }
      await stop(run);
      run = await start(state.dir, 'keys');
      try {
        const listed = await run.clients.s3.send(new ListObjectsV2Command({ Bucket: 'keys-processed' }));
        expect(listed.Contents?.map((o) => o.Key)).toEqual([...keys].sort());
        for (const Key of keys) {
          const got = await run.clients.s3.send(new GetObjectCommand({ Bucket: 'keys-processed', Key }));
          expect(await got.Body?.transformToString()).toBe(`body of ${Key}`);
        }
        expect(readFileSync(path.join(state.dir, 's3', 'keys-processed', 'plain', 'file.json'), 'utf8')).toBe(
          'body of plain/file.json',
        );
      } finally {
        await stop(run);
      }
    } finally {
      state.remove();
    }
  });

  test('one stack per state folder; others find the running one and its endpoints', async () => {
    const state = tempStateDir('claim');
    try {
      const run = await start(state.dir, 'claim');
      try {
        await expect(startLocalAws({ stateDir: state.dir, prefix: 'claim' })).rejects.toBeInstanceOf(
          StateDirInUseError,
        );
        expect(await readRunningLocalAws(state.dir)).toMatchObject({
          pid: process.pid,
          endpoints: run.aws.endpoints,
          env: run.aws.env,
        });
      } finally {
        await stop(run);
      }
      expect(await readRunningLocalAws(state.dir)).toBeUndefined();
    } finally {
      state.remove();
    }
  });
});
