/**
 * `totes console --aws`'s target (services/tools/console/aws-target.ts) against mocked AWS APIs
 * (aws-sdk-client-mock), served by the real console server on 127.0.0.1: which calls it makes,
 * that it follows every page (DescribeAlarms, GetMetricData, the state table), what the pages
 * show, and AWS errors as one line on the page and in the log.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'slonik';
import { consoleCommand } from '../../../services/tools/cli/commands/console.ts';
import { openAwsTarget, rateSeconds } from '../../../services/tools/console/aws-target.ts';
import {
  lastHourMinutes,
  throughputQueries,
} from '../../../services/tools/console/readers/cloudwatch-throughput.ts';
import { SecretScrubber } from '../../../services/tools/console/redact.ts';
import { type RunningConsole, startConsoleServer } from '../../../services/tools/console/server.ts';
import type { ConsoleTarget } from '../../../services/tools/console/target.ts';
import { alarmsFor } from '../../../shared/config/alarms.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { WAREHOUSE_TABLES } from '../../../shared/schema/warehouse.ts';
import { createTestDatabase } from '../../support/database.ts';
import { testClient } from '../../support/mocked-aws.ts';

const ACCOUNT = 'arn:aws:sqs:eu-west-2:123456789012';
const url = (name: string) => `https://sqs.eu-west-2.amazonaws.com/123456789012/${name}`;
const NOW = Date.parse('2026-11-30T06:00:30.000Z');
const MESSAGE_ID = '5fea7756-0ea4-451a-a703-a558b933e274';
const MANIFEST = 'units/2026/11/30/20261130T055500000Z-r1/manifest.json';
const BODY = JSON.stringify({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'acme-processed' }, object: { key: MANIFEST, eTag: 'e1', sequencer: '0A' } },
    },
  ],
});

const clients = () => ({
  sqs: testClient(SQSClient),
  dynamo: testClient(DynamoDBClient),
  cloudwatch: testClient(CloudWatchClient),
  events: testClient(EventBridgeClient),
});
const sqs = mockClient(SQSClient);
const doc = mockClient(DynamoDBDocumentClient);
const cloudwatch = mockClient(CloudWatchClient);
const events = mockClient(EventBridgeClient);

function mockDeployment(): void {
  for (const m of [sqs, doc, cloudwatch, events]) m.reset();
  for (const name of ['acme-transform', 'acme-transform-dlq', 'acme-load', 'acme-load-dlq']) {
    sqs.on(GetQueueUrlCommand, { QueueName: name }).resolves({ QueueUrl: url(name) });
    const attributes: Record<string, string> = {
      QueueArn: `${ACCOUNT}:${name}`,
      ApproximateNumberOfMessages: name === 'acme-load-dlq' ? '1' : name === 'acme-load' ? '4' : '0',
      ApproximateNumberOfMessagesNotVisible: name === 'acme-load' ? '2' : '0',
      ApproximateNumberOfMessagesDelayed: '0',
    };
    if (name.endsWith('-dlq')) {
      attributes.RedriveAllowPolicy = JSON.stringify({
        redrivePermission: 'byQueue',
        sourceQueueArns: [`${ACCOUNT}:${name.replace(/-dlq$/, '')}`],
      });
    }
    sqs.on(GetQueueAttributesCommand, { QueueUrl: url(name) }).resolves({ Attributes: attributes });
  }
  sqs
    .on(GetQueueUrlCommand, { QueueName: 'acme-schedule-dlq' })
    .rejects(new QueueDoesNotExist({ message: 'no such queue', $metadata: {} }));
  sqs.on(ReceiveMessageCommand, { QueueUrl: url('acme-load-dlq') }).resolves({
    Messages: [
      {
        MessageId: MESSAGE_ID,
        ReceiptHandle: 'receipt-1',
        Body: BODY,
        Attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.parse('2026-11-30T05:56:00Z')),
        },
      },
    ],
  });
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'new-id' });
  sqs.on(DeleteMessageCommand).resolves({});

  cloudwatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });
  cloudwatch
    .on(GetMetricStatisticsCommand, { Dimensions: [{ Name: 'QueueName', Value: 'acme-load' }] })
    .resolves({ Datapoints: [{ Timestamp: new Date('2026-11-30T05:59:00Z'), Maximum: 95 }] });
  const names = alarmsFor('aws', 'acme').map((a) => a.name);
  const alarm = (name: string, state: 'OK' | 'ALARM') => ({
    AlarmName: name,
    StateValue: state,
    StateReason: state === 'ALARM' ? 'Threshold Crossed: 1 datapoint [1.0] was >= 1.0' : 'fine',
    StateReasonData: JSON.stringify({ recentDatapoints: [state === 'ALARM' ? 1 : 0] }),
    Threshold: 1,
  });
  cloudwatch
    .on(DescribeAlarmsCommand)
    .resolvesOnce({
      MetricAlarms: names
        .slice(0, 2)
        .map((n) => alarm(n, n === 'acme-load-dlq-messages-visible' ? 'ALARM' : 'OK')),
      NextToken: 'page-2',
    })
    .resolves({
      MetricAlarms: names
        .slice(2)
        .map((n) => alarm(n, n === 'acme-load-dlq-messages-visible' ? 'ALARM' : 'OK')),
    });
  // Two pages, the second continuing an id the first began (GetMetricData splits results so).
  const minute = new Date('2026-11-30T05:58:00Z');
  const earlier = new Date('2026-11-30T05:30:00Z');
  cloudwatch
    .on(GetMetricDataCommand)
    .resolvesOnce({
      MetricDataResults: [
        { Id: 'units', Timestamps: [earlier, minute], Values: [1, 2] },
        { Id: 'inserted_0', Timestamps: [minute], Values: [10] },
        { Id: 'transform_ok', Timestamps: [earlier, minute], Values: [3, 4] },
        { Id: 'load_failed', Timestamps: [minute], Values: [1] },
      ],
      NextToken: 'more',
    })
    .resolves({
      MetricDataResults: [
        { Id: 'units', Timestamps: [minute], Values: [1] },
        { Id: 'updated_3', Timestamps: [minute], Values: [5] },
        { Id: 'load_batches', Timestamps: [earlier], Values: [6] },
      ],
    });
  events.on(DescribeRuleCommand).resolves({ State: 'ENABLED', ScheduleExpression: 'rate(5 minutes)' });

  doc.on(QueryCommand).resolves({ Items: [] });
  doc.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'RUN' } }).resolves({
    Items: [
      {
        pk: 'RUN',
        sk: '20261130T055500000Z-r2',
        runId: '20261130T055500000Z-r2',
        status: 'failed',
        error: 'source unreachable',
        durationMs: 900,
      },
      {
        pk: 'RUN',
        sk: '20261130T055000000Z-r1',
        runId: '20261130T055000000Z-r1',
        status: 'extracted',
        changedRows: 5,
        rows: 9,
        durationMs: 1200,
        rowsByTable: { sales_order: 9 },
      },
    ],
  });
  doc
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'WATERMARK' } })
    .resolvesOnce({
      Items: [{ pk: 'WATERMARK', sk: 'address', watermark: '2026-11-30 05:50:00.000' }],
      LastEvaluatedKey: { pk: 'WATERMARK', sk: 'address' },
    })
    .resolves({ Items: [{ pk: 'WATERMARK', sk: 'sales_order', watermark: '2026-11-30 05:55:00.001' }] });
  doc.on(GetCommand).resolves({});
  doc
    .on(GetCommand, { Key: { pk: 'HEARTBEAT', sk: 'extract' } })
    .resolves({ Item: { pk: 'HEARTBEAT', sk: 'extract', at: '2026-11-30T05:50:01.000Z', runId: 'r1' } });
  doc.on(GetCommand, { Key: { pk: 'FAILURE#load', sk: `acme-processed/${MANIFEST}` } }).resolves({
    Item: {
      stage: 'load',
      bucket: 'acme-processed',
      key: MANIFEST,
      messageId: 'earlier',
      eTag: 'e1',
      errorClass: 'DataIntegrityError',
      rootErrorClass: 'error',
      errorMessage: 'new row for relation "fact_sales_order" violates check constraint "units_sold_positive"',
      attempt: 5,
      failedAt: '2026-11-30T05:57:00.000Z',
    },
  });
}

describe('totes console --aws: the AWS target', () => {
  let backupDir: string;
  let target: ConsoleTarget;
  let server: RunningConsole;
  let toClose: (() => Promise<void>)[] = [];
  let logged: string[];

  const get = async (pathname: string, cookie?: string) => {
    const response = await fetch(new URL(pathname, server.url), {
      headers: cookie ? { cookie } : {},
      redirect: 'manual',
    });
    return {
      status: response.status,
      body: await response.text(),
      setCookie: response.headers.get('set-cookie'),
    };
  };

  beforeEach(() => {
    mockDeployment();
    backupDir = mkdtempSync(path.join(tmpdir(), 'console-aws-'));
    logged = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
  });

  /** The target and its server (which reads once at start), after the test's mocks are set. */
  async function open(): Promise<void> {
    target = await openAwsTarget({
      prefix: 'acme',
      backupDir,
      now: () => NOW,
      clients: clients(),
    });
    toClose.push(() => target.close());
    server = await startConsoleServer({ target, port: 0 });
    toClose.push(() => server.close());
  }

  afterEach(async () => {
    for (const close of toClose.reverse()) await close();
    toClose = [];
    jest.restoreAllMocks();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('reads the pipeline through the --aws readers, following every page', async () => {
    await open();
    const view = await target.pipeline.read();

    expect(target.kind).toBe('aws');
    expect(target.description).toBe('deployment "acme" in eu-west-2 (no warehouse configured)');
    expect(target.warehouse).toBeNull();
    const load = view.queues.find((q) => q.name === 'acme-load');
    expect(load).toEqual({
      name: 'acme-load',
      dlq: false,
      visible: 4,
      inFlight: 2,
      delayed: 0,
      oldestAgeSeconds: 95,
    });
    expect(view.queues.find((q) => q.name === 'acme-load-dlq')).toMatchObject({ dlq: true, visible: 1 });
    expect(view.queues.map((q) => q.name)).not.toContain('acme-schedule-dlq');
    // The state table: the newest runs first, every page of the watermarks, the heartbeat.
    expect(view.runs.map((r) => [r.runId, r.status, r.error])).toEqual([
      ['20261130T055500000Z-r2', 'failed', 'source unreachable'],
      ['20261130T055000000Z-r1', 'extracted', null],
    ]);
    const runQuery = doc
      .commandCalls(QueryCommand)
      .map((c) => c.args[0].input)
      .find((i) => i.ExpressionAttributeValues?.[':pk'] === 'RUN');
    expect(runQuery).toMatchObject({ TableName: 'acme-pipeline-state', ScanIndexForward: false, Limit: 10 });
    expect(view.watermarks).toEqual({
      address: '2026-11-30 05:50:00.000',
      sales_order: '2026-11-30 05:55:00.001',
    });
    expect(view.lastHeartbeat).toBe('2026-11-30T05:50:01.000Z');
    expect(view.scheduleSeconds).toBe(300);
    expect(events.commandCalls(DescribeRuleCommand)[0]?.args[0].input).toEqual({
      Name: 'acme-extract-schedule',
    });

    // Every alarm of shared/config/alarms.json, from both DescribeAlarms pages, with its runbook anchor.
    const definitions = alarmsFor('aws', 'acme');
    const describeCalls = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(describeCalls).toEqual([
      { AlarmNames: definitions.map((d) => d.name), AlarmTypes: ['MetricAlarm'] },
      { AlarmNames: definitions.map((d) => d.name), AlarmTypes: ['MetricAlarm'], NextToken: 'page-2' },
    ]);
    expect(view.alarms.map((a) => [a.name, a.runbook])).toEqual(definitions.map((d) => [d.name, d.runbook]));
    expect(view.alarms.find((a) => a.name === 'acme-load-dlq-messages-visible')?.state).toBe('ALARM');

    // Throughput: one GetMetricData request over the last hour, both pages summed per minute.
    const metricCalls = cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(metricCalls).toHaveLength(2);
    expect(metricCalls[1]?.NextToken).toBe('more');
    expect(metricCalls[0]).toMatchObject({
      StartTime: new Date('2026-11-30T05:01:00.000Z'),
      EndTime: new Date('2026-11-30T06:01:00.000Z'),
      ScanBy: 'TimestampAscending',
    });
    const queries = metricCalls[0]?.MetricDataQueries ?? [];
    expect(queries).toHaveLength(1 + 2 * WAREHOUSE_TABLES.length + 6);
    expect(queries.find((q) => q.Id === 'units')?.MetricStat).toEqual({
      Metric: {
        Namespace: 'TotesPipeline',
        MetricName: 'UnitsLoaded',
        Dimensions: [
          { Name: 'service', Value: 'acme-load' },
          { Name: 'stage', Value: 'load' },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    });
    expect(queries.find((q) => q.Id === 'inserted_0')?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'service', Value: 'acme-load' },
      { Name: 'stage', Value: 'load' },
      { Name: 'table', Value: WAREHOUSE_TABLES[0] },
    ]);
    expect(queries.find((q) => q.Id === 'transform_batches')?.MetricStat).toMatchObject({
      Metric: { MetricName: 'BatchDuration' },
      Stat: 'SampleCount',
    });
    expect(view.throughput).toHaveLength(60);
    expect(view.throughput.find((p) => p.minute === '2026-11-30 05:58')).toEqual({
      minute: '2026-11-30 05:58',
      units: 3,
      rows: 15,
    });
    expect(view.throughput.find((p) => p.minute === '2026-11-30 05:30')).toEqual({
      minute: '2026-11-30 05:30',
      units: 1,
      rows: 0,
    });
    expect(view.lastHour).toEqual({ units: 4, inserted: 10, updated: 5 });
    expect(view.stages).toEqual({
      transform: { ok: 7, failed: 0, batches: 0 },
      load: { ok: 0, failed: 1, batches: 6 },
    });
    expect(view.stagesWindow).toBe('last hour');
    expect(view.throughputSource).toMatch(/CloudWatch metrics/);
    expect(view.problems).toEqual([
      expect.stringMatching(/^warehouse: no warehouse configured for this console/),
    ]);

    const page = await get('/pipeline');
    expect(page.status).toBe(200);
    expect(page.body).toContain('AWS · deployment &quot;acme&quot; in eu-west-2');
    expect(page.body).toContain('href="/runbook#');
    expect(page.body).toMatch(/records failed, last hour/);
    expect(page.body).toMatch(/data-key="watermark"[^>]*>2026-11-30 05:55:00.001<\/td>/);
    expect(page.body).toMatch(/no warehouse configured for this console/);
  });

  it('reads the throughput at most once a minute (each GetMetricData costs)', async () => {
    target = await openAwsTarget({
      prefix: 'acme',
      backupDir,
      now: () => NOW,
      cacheMs: 0,
      clients: clients(),
    });
    toClose.push(() => target.close());
    await target.pipeline.read();
    await target.pipeline.read();
    await target.pipeline.read();
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2); // one request, two pages
  });

  it('says on the Warehouse page that no warehouse is configured, and refuses its downloads', async () => {
    await open();
    const page = await get('/warehouse');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(
      /No warehouse configured\.<\/strong> This console has no warehouse to read: give --warehouse-url/,
    );
    const live = await get('/warehouse/live');
    expect(live.body).toMatch(/No warehouse configured/);
    const csv = await get('/warehouse/revenue-by-month.csv');
    expect(csv.status).toBe(404);
    expect(csv.body).toMatch(/give --warehouse-url/);
  });

  it('shows the DLQ messages with their failure records and redrives one after confirmation', async () => {
    await open();
    const page = await get('/dead-letters');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-message="${MESSAGE_ID}"`);
    expect(page.body).toContain('violates check constraint &quot;units_sold_positive&quot;');
    expect(page.body).toContain('DataIntegrityError');
    // Looked at without consuming: every received message made visible again.
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input).toEqual({
      QueueUrl: url('acme-load-dlq'),
      Entries: [{ Id: '0', ReceiptHandle: 'receipt-1', VisibilityTimeout: 0 }],
    });
    // No automatic refresh on AWS: each look receives the messages.
    expect(page.body).not.toContain('data-live="/dead-letters/live"');

    const cookie = page.setCookie?.split(';')[0] ?? '';
    const confirm = await get(
      `/dead-letters/confirm?action=redrive&queue=acme-load-dlq&message=${MESSAGE_ID}`,
      cookie,
    );
    expect(confirm.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    const post = (form: Record<string, string>) =>
      fetch(new URL('/dead-letters/redrive', server.url), {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    const refused = await post({ queue: 'acme-load-dlq', message: MESSAGE_ID });
    expect(refused.status).toBe(403);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);

    const done = await post({ queue: 'acme-load-dlq', message: MESSAGE_ID, csrf });
    expect(done.status).toBe(200);
    expect(await done.text()).toMatch(/From acme-load-dlq to acme-load/);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ QueueUrl: url('acme-load'), MessageBody: BODY }),
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: url('acme-load-dlq'), ReceiptHandle: 'receipt-1' },
    ]);
    // The backup line was written first, readable by its owner only.
    const [backup] = readdirSync(path.join(backupDir, 'dlq-backups'));
    expect(backup).toMatch(/acme-load-dlq/);
    const file = path.join(backupDir, 'dlq-backups', backup ?? '');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toMatchObject({
      queue: 'acme-load-dlq',
      messageId: MESSAGE_ID,
      body: BODY,
      action: 'redrive',
      destination: 'acme-load',
    });
  });

  it('shows an AWS error as one line on the page and in the log, never a stack', async () => {
    const denied = (
      Exception: typeof SQSServiceException | typeof CloudWatchServiceException,
      action: string,
    ) =>
      new Exception({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: `User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: ${action}\n  on resource`,
      });
    cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(denied(CloudWatchServiceException, 'cloudwatch:DescribeAlarms'));
    cloudwatch
      .on(GetMetricDataCommand)
      .rejects(denied(CloudWatchServiceException, 'cloudwatch:GetMetricData'));
    sqs.on(GetQueueUrlCommand).rejects(denied(SQSServiceException, 'sqs:GetQueueUrl'));
    await open();

    const view = await target.pipeline.read();
    const line = (action: string) =>
      `AccessDenied: User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: ${action} on resource (HTTP 403)`;
    expect(view.problems).toEqual(
      expect.arrayContaining([
        `status: AWS call failed: ${line('sqs:GetQueueUrl')}`,
        `alarms: AWS call failed: ${line('cloudwatch:DescribeAlarms')}`,
        `throughput: AWS call failed: ${line('cloudwatch:GetMetricData')}`,
      ]),
    );

    const page = await get('/dead-letters');
    expect(page.status).toBe(502);
    expect(page.body).toContain(`<p>AWS call failed: ${line('sqs:GetQueueUrl')}</p>`);
    expect(page.body).not.toMatch(/\n\s+at /);
    const log = logged.filter((l) => l.startsWith('totes console: GET /dead-letters:'));
    expect(log).toEqual([`totes console: GET /dead-letters: AWS call failed: ${line('sqs:GetQueueUrl')}\n`]);
  });
});

describe('totes console --aws --warehouse-url', () => {
  it('reads the warehouse views and the load ledger’s throughput, and shows no URL', async () => {
    mockDeployment();
    const warehouse = await createTestDatabase('console_aws_warehouse');
    const backupDir = mkdtempSync(path.join(tmpdir(), 'console-aws-'));
    let target: ConsoleTarget | undefined;
    let server: RunningConsole | undefined;
    try {
      await migrateWarehouse(warehouse.pool);
      await warehouse.pool.query(sql.unsafe`
        INSERT INTO "pipeline"."load_ledger" ("unit_id", "run_id", "rows", "newest_source_update")
        VALUES ('units/2026/11/30/r1/manifest.json', 'r1', '{"fact_sales_order": {"inserted": 5, "updated": 2}}'::jsonb,
                (now() AT TIME ZONE 'UTC') - interval '42 seconds')`);
      target = await openAwsTarget({
        prefix: 'acme',
        warehouseUrl: warehouse.url,
        backupDir,
        clients: clients(),
      });
      server = await startConsoleServer({
        target,
        port: 0,
        secrets: SecretScrubber.fromUrls([warehouse.url]),
      });

      expect(target.description).toBe('deployment "acme" in eu-west-2');
      const view = await target.pipeline.read();
      expect(view.problems).toEqual([]);
      expect(view.throughputSource).toBe('the load ledger');
      expect(view.lastHour).toEqual({ units: 1, inserted: 5, updated: 2 });
      expect(view.unitsLoaded).toBe(1);
      expect(Object.keys(view.warehouseRows).sort()).toEqual([...WAREHOUSE_TABLES].sort());
      expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);

      const page = await fetch(new URL('/warehouse', server.url));
      const body = await page.text();
      expect(page.status).toBe(200);
      expect(body).toContain('Revenue by month and currency');
      expect(body).not.toContain('No warehouse configured');
      const pipeline = await (await fetch(new URL('/pipeline', server.url))).text();
      for (const text of [body, pipeline]) expect(text).not.toContain(warehouse.url);
    } finally {
      await server?.close();
      await target?.close();
      await warehouse.drop();
      rmSync(backupDir, { recursive: true, force: true });
    }
  });
});

describe('totes console --aws: usage', () => {
  it('refuses --state-dir and --source-url with --aws, before any AWS call', async () => {
    mockDeployment();
    const base = { aws: true, port: 0, host: '127.0.0.1' };
    await expect(consoleCommand({ ...base, stateDir: 'somewhere' })).rejects.toThrow(
      'give either --aws or --state-dir, not both',
    );
    await expect(consoleCommand({ ...base, sourceUrl: 'postgres://u@h/db' })).rejects.toThrow(
      '--source-url is for the local stack: with --aws the console reads the deployment',
    );
    await expect(consoleCommand({ ...base, prefix: 'Not_A_Prefix' })).rejects.toThrow(
      /is not a deployment prefix/,
    );
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('console --aws helpers', () => {
  it('reads the schedule rate of an EventBridge expression', () => {
    expect(rateSeconds('rate(5 minutes)')).toBe(300);
    expect(rateSeconds('rate(1 minute)')).toBe(60);
    expect(rateSeconds('rate(2 hours)')).toBe(7200);
    expect(rateSeconds('cron(0 * * * ? *)')).toBeNull();
    expect(rateSeconds(null)).toBeNull();
  });

  it('names the 60 minutes of the last hour and queries with ids GetMetricData accepts', () => {
    const minutes = lastHourMinutes(Date.parse('2026-11-30T06:00:30.000Z'));
    expect(minutes).toHaveLength(60);
    expect(minutes[0]).toBe('2026-11-30 05:01');
    expect(minutes.at(-1)).toBe('2026-11-30 06:00');
    const ids = throughputQueries().map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
  });
});
