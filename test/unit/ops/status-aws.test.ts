/**
 * `totes status --aws` against mocked AWS APIs (SQS, DynamoDB, CloudWatch, EventBridge, Lambda,
 * Secrets Manager) and a real warehouse database (the run's embedded PostgreSQL), reached through
 * the secret the load function names, as the deployed load does.
 */
import { Writable } from 'node:stream';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'slonik';
import { statusCommand } from '../../../services/tools/cli/commands/status.ts';
import { awsDeployment } from '../../../services/tools/ops/deployment/index.ts';
import { collectStatus, renderStatus } from '../../../services/tools/ops/status/collect.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { deploymentTestClients, TEST_REGION } from '../../support/mocked-aws.ts';

const sqs = mockClient(SQSClient);
const doc = mockClient(DynamoDBDocumentClient);
const cloudwatch = mockClient(CloudWatchClient);
const events = mockClient(EventBridgeClient);
const lambda = mockClient(LambdaClient);
const secrets = mockClient(SecretsManagerClient);
const url = (name: string) => `https://sqs.eu-west-2.amazonaws.com/123456789012/${name}`;

function deployment(warehouseUrl?: string) {
  return awsDeployment({
    prefix: 'acme',
    ...(warehouseUrl ? { warehouseUrl } : {}),
    now: () => Date.parse('2026-11-30T06:00:00.000Z'),
    clients: deploymentTestClients(),
  });
}

describe('totes status --aws', () => {
  let warehouse: TestDatabase;

  beforeAll(async () => {
    warehouse = await createTestDatabase('status_aws_warehouse');
    await migrateWarehouse(warehouse.pool);
    await warehouse.pool.query(sql.unsafe`
      INSERT INTO "pipeline"."load_ledger" ("unit_id", "run_id", "rows", "newest_source_update")
      VALUES ('units/2026/11/30/r1/manifest.json', 'r1', '{}'::jsonb, (now() AT TIME ZONE 'UTC') - interval '42 seconds')`);
  });
  afterAll(async () => warehouse?.drop());

  beforeEach(() => {
    for (const m of [sqs, doc, cloudwatch, events, lambda, secrets]) m.reset();
    for (const name of ['acme-transform', 'acme-transform-dlq', 'acme-load', 'acme-load-dlq']) {
      sqs.on(GetQueueUrlCommand, { QueueName: name }).resolves({ QueueUrl: url(name) });
      sqs.on(GetQueueAttributesCommand, { QueueUrl: url(name) }).resolves({
        Attributes: {
          ApproximateNumberOfMessages: name === 'acme-load-dlq' ? '2' : '0',
          ApproximateNumberOfMessagesNotVisible: name === 'acme-load' ? '3' : '0',
          ApproximateNumberOfMessagesDelayed: '0',
        },
      });
    }
    sqs
      .on(GetQueueUrlCommand, { QueueName: 'acme-schedule-dlq' })
      .rejects(new QueueDoesNotExist({ message: 'no such queue', $metadata: {} }));
    cloudwatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });
    cloudwatch
      .on(GetMetricStatisticsCommand, { Dimensions: [{ Name: 'QueueName', Value: 'acme-load-dlq' }] })
      .resolves({
        Datapoints: [
          { Timestamp: new Date('2026-11-30T05:58:00Z'), Maximum: 500 },
          { Timestamp: new Date('2026-11-30T05:59:00Z'), Maximum: 560 },
        ],
      });
    events.on(DescribeRuleCommand).resolves({ State: 'DISABLED', ScheduleExpression: 'rate(5 minutes)' });
    doc
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'WATERMARK' } })
      .resolvesOnce({
        Items: [{ pk: 'WATERMARK', sk: 'address', watermark: '2026-11-30 05:55:00.000' }],
        LastEvaluatedKey: { pk: 'WATERMARK', sk: 'address' },
      })
      .resolvesOnce({ Items: [{ pk: 'WATERMARK', sk: 'staff', watermark: '2026-11-30 05:55:00.001' }] });
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'RUN' } }).resolves({
      Items: [{ pk: 'RUN', sk: 'r1', status: 'extracted', changedRows: 5, rows: 9, durationMs: 1200 }],
    });
    doc.on(GetCommand).resolves({ Item: { pk: 'HEARTBEAT', sk: 'extract', at: '2026-11-30 05:55:00.000' } });
    lambda.on(GetFunctionConfigurationCommand).resolves({
      Environment: { Variables: { WAREHOUSE_SECRET_ID: 'arn:aws:secretsmanager:eu-west-2:1:secret:wh' } },
    });
  });

  it('reads queues, schedule, state table pages and the warehouse through the load function secret', async () => {
    const parsed = new URL(warehouse.url);
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        username: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        host: parsed.hostname,
        port: Number(parsed.port),
        dbname: parsed.pathname.slice(1),
      }),
    });
    const d = deployment();
    const status = await collectStatus(d, { runs: 3 }).finally(() => d.close());

    expect(lambda.commandCalls(GetFunctionConfigurationCommand)[0]?.args[0].input).toEqual({
      FunctionName: 'acme-load',
    });
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:aws:secretsmanager:eu-west-2:1:secret:wh',
    });
    expect(events.commandCalls(DescribeRuleCommand)[0]?.args[0].input).toEqual({
      Name: 'acme-extract-schedule',
    });
    const metricCall = cloudwatch
      .commandCalls(GetMetricStatisticsCommand)
      .map((c) => c.args[0].input)
      .find((i) => i.Dimensions?.[0]?.Value === 'acme-load-dlq');
    expect(metricCall).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistics: ['Maximum'],
      StartTime: new Date('2026-11-30T05:45:00.000Z'),
    });
    const watermarkQueries = doc
      .commandCalls(QueryCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.ExpressionAttributeValues?.[':pk'] === 'WATERMARK');
    expect(watermarkQueries).toHaveLength(2);
    expect(watermarkQueries[1]?.ExclusiveStartKey).toEqual({ pk: 'WATERMARK', sk: 'address' });
    const runQuery = doc
      .commandCalls(QueryCommand)
      .map((c) => c.args[0].input)
      .find((i) => i.ExpressionAttributeValues?.[':pk'] === 'RUN');
    expect(runQuery).toMatchObject({ TableName: 'acme-pipeline-state', ScanIndexForward: false, Limit: 3 });

    expect(status.target).toBe('aws');
    expect(status.schedule).toMatchObject({ state: 'PAUSED', name: 'acme-extract-schedule' });
    expect(status.queues.find((q) => q.queue === 'acme-load')).toMatchObject({ inFlight: 3, exists: true });
    expect(status.queues.find((q) => q.queue === 'acme-load-dlq')).toMatchObject({
      visible: 2,
      oldestAgeSeconds: 560,
    });
    expect(status.queues.find((q) => q.queue === 'acme-schedule-dlq')).toMatchObject({ exists: false });
    expect(status.watermarks).toEqual({
      address: '2026-11-30 05:55:00.000',
      staff: '2026-11-30 05:55:00.001',
    });
    expect(status.latestRuns).toHaveLength(1);
    expect(status.warehouseError).toBeUndefined();
    expect(status.unitsLoaded).toBe(1);
    expect(status.warehouse.fact_sales_order).toBe(0);
    expect(status.freshness.ageSeconds).toBeGreaterThanOrEqual(42);

    const text = renderStatus(status);
    expect(text).toContain('AWS deployment "acme" (AWS)');
    expect(text).toContain('schedule: PAUSED');
    expect(text).toMatch(/acme-load-dlq +visible +2 .* oldest 560s/);
    expect(text).toMatch(/acme-schedule-dlq +not found/);
    expect(text).toContain('r1  extracted  5 changed, 9 rows  1.2s');
    expect(text).toContain('warehouse (1 units loaded):');
  });

  it('prints exactly one JSON document with --json, through the command and the standard AWS chain', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: TEST_REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    let written = '';
    const out = new Writable({
      write(chunk, _e, done) {
        written += String(chunk);
        done();
      },
    });
    try {
      await statusCommand({ aws: true, prefix: 'acme', warehouseUrl: warehouse.url, json: true }, out);
    } finally {
      process.env = saved;
    }
    expect(written.endsWith('\n')).toBe(true);
    expect(written.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(written)).toMatchObject({
      target: 'aws',
      unitsLoaded: 1,
      schedule: { state: 'PAUSED' },
    });
  });

  it('shows the rest when the warehouse cannot be read, and says why', async () => {
    lambda.reset();
    lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Variables: {} } });
    const d = deployment();
    const status = await collectStatus(d).finally(() => d.close());
    expect(status.warehouseError).toMatch(
      /function acme-load has no WAREHOUSE_SECRET_ID: pass --warehouse-url/,
    );
    expect(status.watermarks.address).toBe('2026-11-30 05:55:00.000');
    expect(renderStatus(status)).toMatch(
      /warehouse: not read \(function acme-load has no WAREHOUSE_SECRET_ID/,
    );
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('uses --warehouse-url instead of the secret when given', async () => {
    const d = deployment(warehouse.url);
    const status = await collectStatus(d).finally(() => d.close());
    expect(status.unitsLoaded).toBe(1);
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(0);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
