import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runOnAwsCommand } from '../../../services/tools/cli/commands/run.ts';
import { awsDeployment } from '../../../services/tools/ops/deployment/index.ts';
import type { AwsRunSummary, LedgerReader } from '../../../services/tools/ops/run/aws-run.ts';
import { deploymentTestClients, TEST_REGION, testClient } from '../../support/mocked-aws.ts';
import { textSink } from '../../support/text-sink.ts';

const lambda = mockClient(LambdaClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const doc = mockClient(DynamoDBDocumentClient);
const RUN = '20261130T055000000Z-abcdef01';
const PREFIX = `units/2026/11/30/${RUN}/`;

/** What the follower reads of a GetObject body. */
const body = (text: string) => ({ transformToString: async () => text });
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function deployment() {
  return awsDeployment({
    prefix: 'acme',
    clients: deploymentTestClients(),
  });
}

/** A load ledger that has applied the unit from the `loadedFromLook`-th look on. */
function ledger(loadedFromLook: number): LedgerReader & { looks: number; closed: boolean } {
  const state = {
    looks: 0,
    closed: false,
    async loadedUnits(runId: string) {
      state.looks++;
      return new Set(
        state.looks >= loadedFromLook ? [`${PREFIX}manifest.json`].filter(() => runId === RUN) : [],
      );
    },
    async rows() {
      return { fact_sales_order: 7 };
    },
    async close() {
      state.closed = true;
    },
  };
  return state;
}

describe('totes run --once --aws', () => {
  beforeEach(() => {
    for (const m of [lambda, s3, sqs, doc]) m.reset();
    sqs
      .on(GetQueueUrlCommand)
      .callsFake((input: { QueueName: string }) => ({ QueueUrl: `https://sqs/${input.QueueName}` }));
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    doc.on(QueryCommand).resolves({ Items: [] });
  });

  it('invokes the extract with the scheduled event, follows the processed manifest to the ledger, summarises', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: encode({
        status: 'extracted',
        runId: RUN,
        rowsByTable: { sales_order: 7 },
        manifest: { changedRows: { sales_order: 7 } },
      }) as never,
    });
    // First look: the transform has not written yet; then two pages, the manifest on the second.
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [] })
      .resolves({
        Contents: [{ Key: `${PREFIX}fact_sales_order.0000.parquet` }],
        NextContinuationToken: 'p2',
      });
    s3.on(ListObjectsV2Command, { ContinuationToken: 'p2' }).resolves({
      Contents: [{ Key: `${PREFIX}manifest.json` }],
    });
    s3.on(GetObjectCommand).resolves({
      Body: body(
        JSON.stringify({
          unitId: `${PREFIX}manifest.json`,
          runId: RUN,
          objects: [{ table: 'fact_sales_order', key: `${PREFIX}fact_sales_order.0000.parquet`, rows: 7 }],
        }),
      ) as never,
    });
    const reader = ledger(2);
    const out = textSink();
    const err = textSink();
    const code = await runOnAwsCommand(
      { once: true, aws: true, prefix: 'acme', json: true, seedScale: 1, drainTimeout: 60, pollMs: 100 },
      out.stream,
      { lambda: testClient(LambdaClient), ledger: reader, deployment: deployment() },
      err.stream,
    );
    expect(code).toBe(0);
    const invoke = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke).toMatchObject({ FunctionName: 'acme-extract', InvocationType: 'RequestResponse' });
    const event = JSON.parse(new TextDecoder().decode(invoke?.Payload as Uint8Array)) as Record<
      string,
      unknown
    >;
    expect(event).toMatchObject({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      region: TEST_REGION,
    });
    expect(event.resources).toEqual([
      `arn:aws:events:${TEST_REGION}:000000000000:rule/acme-extract-schedule`,
    ]);

    const lists = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(lists[0]).toMatchObject({ Bucket: 'acme-processed', Prefix: PREFIX });
    expect(lists.some((l) => l.ContinuationToken === 'p2')).toBe(true);
    // The manifest is read once, however many looks it takes.
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(reader.looks).toBeGreaterThanOrEqual(2);
    expect(reader.closed).toBe(true);

    // --json: the summary is the one document on stdout; the text summary goes to stderr.
    expect(err.text()).toContain(`run ${RUN}: extracted`);
    const summary = JSON.parse(out.text()) as AwsRunSummary;
    expect(summary).toMatchObject({
      runId: RUN,
      status: 'extracted',
      complete: true,
      failed: 0,
      extracted: { sales_order: 7 },
      transformed: { fact_sales_order: 7 },
      loaded: { fact_sales_order: 7 },
      units: [{ unitId: `${PREFIX}manifest.json`, loaded: true }],
      dlq: { 'acme-transform-dlq': 0, 'acme-load-dlq': 0 },
    });
    expect(err.text()).toContain('invoking acme-extract (RequestResponse)');
    expect(err.text()).toContain(`loaded: every unit of ${RUN} is in the warehouse`);
  });

  it('reports failure records of the run and exits 1 when the unit is not loaded in time', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: encode({ status: 'extracted', runId: RUN }) as never });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${PREFIX}manifest.json` }] });
    s3.on(GetObjectCommand).resolves({
      Body: body(JSON.stringify({ unitId: `${PREFIX}manifest.json`, runId: RUN, objects: [] })) as never,
    });
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'FAILURE#load' } }).resolves({
      Items: [
        {
          pk: 'FAILURE#load',
          sk: 'x',
          stage: 'load',
          key: `${PREFIX}manifest.json`,
          errorClass: 'DatabaseError',
          errorMessage: 'relation "fact_x" does not exist',
          failedAt: '2026-11-30 05:50:01.000',
          attempt: 1,
          messageId: 'm',
        },
      ],
    });
    const out = textSink();
    const err = textSink();
    const code = await runOnAwsCommand(
      { once: true, aws: true, prefix: 'acme', seedScale: 1, drainTimeout: 0.3, pollMs: 100 },
      out.stream,
      {
        lambda: testClient(LambdaClient),
        ledger: ledger(Number.POSITIVE_INFINITY),
        deployment: deployment(),
      },
      err.stream,
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(
      /failure recorded in load for .*manifest.json: DatabaseError: relation "fact_x" does not exist/,
    );
    expect(out.text()).toContain('failed record attempts: 1');
    expect(out.text()).toMatch(/not loaded within 0.3 s: 1 unit\(s\) still on the way/);
  });

  it('a function error is a failed run (exit 1) and nothing is followed', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'Error', errorMessage: 'source unreachable' }) as never,
    });
    const out = textSink();
    const code = await runOnAwsCommand(
      { once: true, aws: true, seedScale: 1, drainTimeout: 60 },
      out.stream,
      { lambda: testClient(LambdaClient), ledger: ledger(1), deployment: deployment() },
      textSink().stream,
    );
    expect(code).toBe(1);
    expect(out.text()).toMatch(/^extract failed: source unreachable/);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('an unchanged source is a success with nothing to follow', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: encode({ status: 'unchanged', runId: RUN }) as never });
    const out = textSink();
    const code = await runOnAwsCommand(
      { once: true, aws: true, seedScale: 1, drainTimeout: 60 },
      out.stream,
      { lambda: testClient(LambdaClient), ledger: ledger(1), deployment: deployment() },
      textSink().stream,
    );
    expect(code).toBe(0);
    expect(out.text()).toContain(`run ${RUN}: unchanged`);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });
});
