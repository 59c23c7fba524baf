/**
 * `totes console --aws` against moto_server (an independent implementation of the AWS APIs): the
 * deployment's queues and DLQs (redrive and redrive-allow policies), state table, extract
 * schedule rule and CloudWatch alarms created as the Terraform creates them, stage metrics put
 * as the Lambdas emit them; then the real CLI is started and its HTTP endpoints driven: the
 * Pipeline page, the Warehouse page without a warehouse, the Dead letters page with its failure
 * record, redrive of one message, purge and redrive of all (each after the confirmation, with a
 * backup file), a POST without the session's token refused, and no credential on any page.
 * Skipped (reported as skipped) where moto_server is not installed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchClient,
  type ComparisonOperator,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type Statistic,
} from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { alarmsFor } from '../../../shared/config/alarms.ts';
import { extractScheduleRuleName, pipelineResources } from '../../../shared/config/resources.ts';
import { failureStore } from '../../../shared/failures/index.ts';
import { METRICS_NAMESPACE } from '../../../shared/metrics/index.ts';
import { recordHeartbeat, recordRun } from '../../../shared/state/index.ts';
import { TOTES_BIN } from '../../support/cli.ts';
import { MOTO_SERVER, type Moto, startMoto, testWithMoto } from '../../support/moto.ts';
import { createDeploymentQueues, createStateTable } from '../../support/moto-deployment.ts';

const REGION = 'eu-west-2';
const PREFIX = 'acme';
/** Distinctive credentials: neither may appear on any page. */
const credentials = { accessKeyId: 'AKIAMOTOCONSOLE00001', secretAccessKey: 'moto-console-secret-7f3a9c' };
const resources = pipelineResources(PREFIX, 'aws');
const manifest = 'units/2026/11/30/20261130T055500000Z-r1/manifest.json';
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
/** A failure text carrying a URL with a password and the secret key (as a careless error might). */
const leakyError = `could not connect to postgres://loader:hunter2-very-secret@db.internal:5432/wh (key ${credentials.secretAccessKey})`;

interface Console {
  readonly url: string;
  readonly stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts the real `totes console --aws` and resolves with the URL it prints. */
async function startConsole(env: Record<string, string>, cwd: string): Promise<Console> {
  const { WAREHOUSE_URL: _w, TOTESYS_URL: _t, ...inherited } = process.env;
  const child: ChildProcess = spawn(
    process.execPath,
    [TOTES_BIN, 'console', '--aws', '--prefix', PREFIX, '--port', '0'],
    { env: { ...inherited, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const found = /totes console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
      if (found?.[1]) resolve(found[1]);
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`totes console exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGINT'); // Ctrl-C, as the console says to stop it
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

describe(`totes console --aws against moto_server${MOTO_SERVER ? '' : ' (not installed: skipped)'}`, () => {
  let moto: Moto | undefined;
  let sqs: SQSClient;
  let cwd: string;
  let env: Record<string, string>;
  let console_: Console | undefined;
  const urls: Record<string, string> = {};
  const pages: string[] = [];

  const get = async (pathname: string, cookie = '') => {
    const response = await fetch(new URL(pathname, console_!.url), { headers: cookie ? { cookie } : {} });
    const body = await response.text();
    pages.push(body);
    return { status: response.status, body, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? '' };
  };
  const post = async (pathname: string, form: Record<string, string>, cookie: string) => {
    const response = await fetch(new URL(pathname, console_!.url), {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        origin: console_!.url.slice(0, -1),
      },
      body: new URLSearchParams(form).toString(),
    });
    const body = await response.text();
    pages.push(body);
    return { status: response.status, body };
  };
  const depth = async (queue: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: urls[queue],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible)
    );
  };

  beforeAll(async () => {
    if (!MOTO_SERVER) return;
    moto = await startMoto();
    cwd = mkdtempSync(path.join(tmpdir(), 'totes-console-moto-'));
    env = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      NO_COLOR: '1',
    };
    const client = { region: REGION, endpoint: moto.endpoint, credentials };
    sqs = new SQSClient(client);
    Object.assign(urls, await createDeploymentQueues(sqs, resources));

    // The state table (infra-terraform/dynamodb.tf) with what an extract and a failed load leave.
    const dynamo = new DynamoDBClient(client);
    const doc = DynamoDBDocumentClient.from(dynamo);
    const table = resources.tables.state;
    await createStateTable(dynamo, resources);
    const now = Date.now();
    await recordRun(
      doc,
      table.name,
      {
        runId: '20261130T055500000Z-r1',
        status: 'extracted',
        extractedAt: '2026-11-30T05:55:00.000Z',
        startedAt: '2026-11-30T05:55:00.000Z',
        durationMs: 1234,
        changedRows: 7,
        rows: 11,
        rowsByTable: { sales_order: 7, staff: 4 },
      } as Parameters<typeof recordRun>[2],
      now,
    );
    await recordHeartbeat(doc, table.name, {
      runId: '20261130T055500000Z-r1',
      at: '2026-11-30T05:55:01.000Z',
      rows: 11,
      changedRows: 7,
      status: 'extracted',
    });
    await doc.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          pk: 'WATERMARK',
          sk: 'sales_order',
          table: 'sales_order',
          watermark: '2026-11-30 05:54:59.123456',
          version: 3,
        },
      }),
    );
    await failureStore({ tableName: table.name, client: doc }).record({
      stage: 'load',
      bucket: resources.buckets.processed,
      key: manifest,
      messageId: 'earlier',
      eTag: 'e1',
      error: new Error(leakyError),
      attempt: 5,
    });
    dynamo.destroy();
    await sqs.send(
      new SendMessageCommand({ QueueUrl: urls[resources.queues.load.dlqName], MessageBody: notification }),
    );

    // The schedule rule (infra-terraform/schedule.tf) and the alarms (alarms.tf), one in ALARM.
    const events = new EventBridgeClient(client);
    await events.send(
      new PutRuleCommand({ Name: extractScheduleRuleName(PREFIX), ScheduleExpression: 'rate(5 minutes)' }),
    );
    events.destroy();
    const cloudwatch = new CloudWatchClient(client);
    for (const alarm of alarmsFor('aws', PREFIX)) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarm.name,
          Namespace: alarm.metric.namespace,
          MetricName: alarm.metric.name,
          Dimensions: Object.entries(alarm.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Statistic: alarm.statistic as Statistic,
          Period: alarm.periodSeconds,
          EvaluationPeriods: alarm.evaluationPeriods,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison as ComparisonOperator,
        }),
      );
    }
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: `${PREFIX}-load-dlq-messages-visible`,
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).',
      }),
    );
    // The load's metrics as its EMF lines become metrics: units and rows per table, two minutes ago.
    const at = new Date(Math.floor(now / 60_000) * 60_000 - 2 * 60_000 + 5_000);
    const dims = (extra: Record<string, string> = {}) =>
      Object.entries({ service: `${PREFIX}-load`, stage: 'load', ...extra }).map(([Name, Value]) => ({
        Name,
        Value,
      }));
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          { MetricName: 'UnitsLoaded', Dimensions: dims(), Timestamp: at, Value: 2, Unit: 'Count' },
          {
            MetricName: 'RowsInserted',
            Dimensions: dims({ table: 'fact_sales_order' }),
            Timestamp: at,
            Value: 40,
            Unit: 'Count',
          },
          {
            MetricName: 'RowsUpdated',
            Dimensions: dims({ table: 'dim_staff' }),
            Timestamp: at,
            Value: 3,
            Unit: 'Count',
          },
        ],
      }),
    );
    cloudwatch.destroy();

    console_ = await startConsole(env, cwd);
  });

  afterAll(async () => {
    try {
      const code = await console_?.stop();
      // It stops on Ctrl-C: 0 after closing, or 130 when an exit hook ends the process first.
      if (console_) expect([0, 130]).toContain(code);
    } finally {
      sqs?.destroy();
      await moto?.stop();
      if (cwd) rmSync(cwd, { recursive: true, force: true });
    }
  });

  testWithMoto(
    'the Pipeline page: queues, alarms with their runbook, runs, watermarks, throughput',
    async () => {
      const page = await get('/pipeline');
      expect(page.status).toBe(200);
      expect(page.body).toContain(
        `AWS · deployment &quot;${PREFIX}&quot; in ${REGION} (no warehouse configured)`,
      );
      // The load DLQ holds the message; the alarm on it is in ALARM, linked to its RUNBOOK section.
      expect(page.body).toMatch(/data-key="load-dlq"[^>]*>1</);
      const alarmRow =
        /<tr data-alarm="acme-load-dlq-messages-visible">.*?<\/tr>/s.exec(page.body)?.[0] ?? '';
      expect(alarmRow).toContain('>ALARM<');
      expect(alarmRow).toMatch(/href="\/runbook#[a-z0-9-]+"/);
      expect(page.body).toMatch(/<tr data-alarm="acme-transform-dlq-messages-visible">/);
      // The state table's run, heartbeat and watermark; the schedule rule's rate.
      expect(page.body).toContain('20261130T055500000Z-r1');
      expect(page.body).toMatch(/data-key="heartbeat"[^>]*>2026-11-30T05:55:01.000Z</);
      expect(page.body).toMatch(/data-key="watermark"[^>]*>2026-11-30 05:54:59.123456</);
      expect(page.body).toMatch(/data-key="schedule-every"[^>]*>5 min</);
      // Throughput from CloudWatch: 2 units and 43 rows in the last hour.
      expect(page.body).toMatch(/data-key="processed-units"[^>]*>2</);
      expect(page.body).toMatch(/data-key="load-inserted"[^>]*>40</);
      expect(page.body).toMatch(/data-key="load-updated"[^>]*>3</);
      expect(page.body).toContain('from the load’s CloudWatch metrics');
      expect(page.body).toMatch(/no warehouse configured for this console/);
    },
  );

  testWithMoto('the Warehouse page says that no warehouse is configured', async () => {
    const page = await get('/warehouse');
    expect(page.status).toBe(200);
    expect(page.body).toContain('No warehouse configured.');
    expect(page.body).toContain('--warehouse-url');
  });

  testWithMoto(
    'Dead letters: the message with its failure record; redrive one, purge, redrive all, each with a backup',
    async () => {
      const load = resources.queues.load;
      const page = await get('/dead-letters');
      expect(page.status).toBe(200);
      const messageId = /data-message="([^"]+)"/.exec(page.body)?.[1] ?? '';
      expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(page.body).toContain('could not connect to postgres://loader:***@db.internal:5432/wh (key ***)');
      // Looking did not consume it.
      expect(await depth(load.dlqName)).toBe(1);

      const cookie = page.cookie;
      const confirm = await get(
        `/dead-letters/confirm?action=redrive&queue=${load.dlqName}&message=${messageId}`,
        cookie,
      );
      expect(confirm.status).toBe(200);
      const csrf = /name="csrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
      expect(
        (await post('/dead-letters/redrive', { queue: load.dlqName, message: messageId }, cookie)).status,
      ).toBe(403);
      expect(
        (
          await post(
            '/dead-letters/redrive',
            { queue: load.dlqName, message: messageId, csrf: 'x'.repeat(43) },
            cookie,
          )
        ).status,
      ).toBe(403);
      expect(await depth(load.dlqName)).toBe(1);

      const redriven = await post(
        '/dead-letters/redrive',
        { queue: load.dlqName, message: messageId, csrf },
        cookie,
      );
      expect(redriven.status).toBe(200);
      expect(redriven.body).toContain(`From ${load.dlqName} to ${load.name}`);
      expect(await depth(load.dlqName)).toBe(0);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: urls[load.name], MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      expect(Messages.map((m) => m.Body)).toEqual([notification]);

      // Purge: a new dead letter, confirmed, deleted after its backup line.
      await sqs.send(new SendMessageCommand({ QueueUrl: urls[load.dlqName], MessageBody: 'poison' }));
      const purgeConfirm = await get(`/dead-letters/confirm?action=purge&queue=${load.dlqName}`, cookie);
      const purgeCsrf = /name="csrf" value="([^"]+)"/.exec(purgeConfirm.body)?.[1] ?? '';
      const purged = await post('/dead-letters/purge', { queue: load.dlqName, csrf: purgeCsrf }, cookie);
      expect(purged.status).toBe(200);
      expect(await depth(load.dlqName)).toBe(0);

      // Redrive all: every message back to its queue.
      for (const body of ['first', 'second'])
        await sqs.send(new SendMessageCommand({ QueueUrl: urls[load.dlqName], MessageBody: body }));
      const allConfirm = await get(`/dead-letters/confirm?action=redrive&queue=${load.dlqName}`, cookie);
      expect(allConfirm.body).toContain('Redrive all');
      const allCsrf = /name="csrf" value="([^"]+)"/.exec(allConfirm.body)?.[1] ?? '';
      const all = await post('/dead-letters/redrive', { queue: load.dlqName, csrf: allCsrf }, cookie);
      expect(all.status).toBe(200);
      expect(await depth(load.dlqName)).toBe(0);
      const back: string[] = [];
      // (the message redriven above was received already and is invisible for the queue's timeout)
      for (let i = 0; i < 5 && back.length < 2; i++) {
        const { Messages: got = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: urls[load.name],
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        back.push(...got.map((m) => m.Body ?? ''));
      }
      expect(back.sort()).toEqual(['first', 'second']);

      const backups = readdirSync(path.join(cwd, 'dlq-backups')).sort();
      expect(backups).toEqual([
        expect.stringMatching(/^acme-load-dlq-purge-/),
        expect.stringMatching(/^acme-load-dlq-redrive-/),
        expect.stringMatching(/^acme-load-dlq-redrive-/),
      ]);
      for (const file of backups)
        expect(statSync(path.join(cwd, 'dlq-backups', file)).mode & 0o777).toBe(0o600);
      const lines = backups.map((file) =>
        readFileSync(path.join(cwd, 'dlq-backups', file), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { action: string; body: string })
          .map((l) => `${l.action} ${l.body}`)
          .sort(),
      );
      expect(lines).toEqual([
        ['purge poison'],
        [`redrive ${notification}`],
        ['redrive first', 'redrive second'],
      ]);
    },
  );

  testWithMoto('no credential, secret or URL password reached any page; the log has no stack', async () => {
    expect(pages.length).toBeGreaterThan(5);
    for (const body of pages) {
      expect(body).not.toContain(credentials.secretAccessKey);
      expect(body).not.toContain(credentials.accessKeyId);
      expect(body).not.toContain('hunter2-very-secret');
    }
    expect(console_!.stderr()).not.toMatch(/\n\s+at |a bug/);
  });
});
