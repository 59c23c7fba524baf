/**
 * `collectStatus` against the local stand-ins and a real warehouse database: through a Deployment
 * (what `totes status` opens) and through an AttachedStack (callers that attach themselves), with
 * the schedule record of the state folder and the fauxqs oldest-message age.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AttachedStack } from '../../../services/tools/local-runtime/attach.ts';
import {
  LOCAL_CREDENTIALS,
  type LocalAws,
  startLocalAws,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { writeScheduleState } from '../../../services/tools/local-runtime/schedule-control.ts';
import { localDeployment } from '../../../services/tools/ops/deployment/index.ts';
import { collectStatus, renderStatus } from '../../../services/tools/ops/status/collect.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

describe('status of a local stack', () => {
  let stateDir: string;
  let aws: LocalAws;
  let warehouse: TestDatabase;
  let stack: AttachedStack;
  let detached = 0;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-status-local-'));
    aws = await startLocalAws({ stateDir: path.join(stateDir, 'aws'), testEvents: false });
    warehouse = await createTestDatabase('status_local_warehouse');
    await migrateWarehouse(warehouse.pool);
    stack = {
      stateDir,
      running: true,
      endpoints: aws.endpoints,
      awsEnv: aws.env,
      region: aws.region,
      resources: aws.resources,
      sourceUrl: warehouse.url,
      warehouseUrl: warehouse.url,
      detach: async () => {
        detached++;
      },
    };
    const sqs = new SQSClient({
      region: aws.region,
      endpoint: aws.endpoints.sqs,
      credentials: LOCAL_CREDENTIALS,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrls['totes-load-dlq'], MessageBody: 'x' }));
    sqs.destroy();
    const dynamo = new DynamoDBClient({
      region: aws.region,
      endpoint: aws.endpoints.dynamodb,
      credentials: LOCAL_CREDENTIALS,
    });
    const doc = DynamoDBDocumentClient.from(dynamo);
    await doc.send(
      new PutCommand({
        TableName: 'totes-pipeline-state',
        Item: { pk: 'WATERMARK', sk: 'staff', watermark: '2026-11-30 05:00:00.000' },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: 'totes-pipeline-state',
        Item: { pk: 'RUN', sk: 'r1', status: 'unchanged' },
      }),
    );
    doc.destroy();
    dynamo.destroy();
  });

  afterAll(async () => {
    await aws?.stop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('reads queues (with the oldest age), the paused schedule, the state table and the warehouse', async () => {
    writeScheduleState(stateDir, true);
    const deployment = localDeployment(stack);
    const status = await collectStatus(deployment).finally(() => deployment.close());
    expect(detached).toBe(1);
    expect(status).toMatchObject({
      target: 'local',
      stateDir,
      runtimeRunning: true,
      schedule: { state: 'PAUSED' },
    });
    const dlq = status.queues.find((q) => q.queue === 'totes-load-dlq');
    expect(dlq).toMatchObject({ dlq: true, exists: true, visible: 1 });
    expect(dlq?.oldestAgeSeconds).not.toBeNull();
    expect(status.watermarks).toEqual({ staff: '2026-11-30 05:00:00.000' });
    expect(status.latestRuns.map((r) => r.sk)).toEqual(['r1']);
    expect(status.warehouse.fact_sales_order).toBe(0);
    expect(status.unitsLoaded).toBe(0);
    expect(renderStatus(status)).toMatch(/^state folder .* \(runtime running\)\nschedule: PAUSED since /);
  });

  it('takes an attached stack too, and leaves it attached', async () => {
    writeScheduleState(stateDir, false);
    const before = detached;
    const status = await collectStatus(stack, { runs: 1 });
    expect(detached).toBe(before);
    expect(status.schedule).toMatchObject({ state: 'ENABLED' });
    expect(status.queues).toHaveLength(4);
  });
});
