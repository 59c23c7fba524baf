/**
 * `totes replay`: the window and generation rules (pure), and the AWS path on a mocked S3 client
 * (aws-sdk-client-mock): paginated listing per day, conditional writes, dry run, a lost race.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { replayCommand } from '../../../services/tools/cli/commands/replay.ts';
import { UsageError } from '../../../services/tools/cli/errors.ts';
import {
  dayPrefixes,
  nextGeneration,
  parseTime,
  ReplayWindowError,
  replayUnits,
  replayWindow,
  runIdTime,
  unitsInWindow,
} from '../../../services/tools/ops/replay/index.ts';
import { INGESTION_MANIFEST_FORMAT, manifestKey, parseLakeKey } from '../../../shared/lake/index.ts';
import { testClient } from '../../support/mocked-aws.ts';
import { textSink } from '../../support/text-sink.ts';

const RUN_A = '20261130T140500123Z-aaaa0001';
const RUN_B = '20261130T151000000Z-bbbb0002';
const RUN_LATE = '20261130T160000000Z-cccc0003';
const RUN_NEXT_DAY = '20261201T000100000Z-dddd0004';
const at = (iso: string) => Date.parse(iso);

describe('replay window', () => {
  it('parses ISO times, UTC when no zone is given', () => {
    expect(parseTime('2026-11-30T14:00:00Z', '--from')).toBe(at('2026-11-30T14:00:00Z'));
    expect(parseTime('2026-11-30 14:00', '--from')).toBe(at('2026-11-30T14:00:00Z'));
    expect(parseTime('2026-11-30', '--from')).toBe(at('2026-11-30T00:00:00Z'));
    expect(parseTime('2026-11-30T16:00:00.5+02:00', '--to')).toBe(at('2026-11-30T14:00:00.500Z'));
    expect(() => parseTime('yesterday', '--from')).toThrow(ReplayWindowError);
    expect(() => parseTime('2026-02-30', '--from')).toThrow(
      '--from: "2026-02-30" is not a valid date and time',
    );
    expect(() => replayWindow('2026-11-30T16:00Z', '2026-11-30T14:00Z')).toThrow(
      '--to must be later than --from',
    );
    expect(() => replayWindow('2020-01-01', '2026-01-01')).toThrow('more than 366 days');
  });

  it('takes a run by the time its id carries, in [from, to), one listing prefix per UTC day', () => {
    expect(runIdTime(RUN_A)).toBe(at('2026-11-30T14:05:00.123Z'));
    expect(runIdTime('not-a-run')).toBeNull();
    const window = replayWindow('2026-11-30T14:00Z', '2026-12-01T00:05Z');
    expect(dayPrefixes(window)).toEqual(['units/2026/11/30/', 'units/2026/12/01/']);
    expect(dayPrefixes(replayWindow('2026-11-30T14:00Z', '2026-12-01T00:00Z'))).toEqual([
      'units/2026/11/30/',
    ]);
  });

  it('finds the units of the window with their highest generation', () => {
    const window = replayWindow('2026-11-30T14:00Z', '2026-11-30T16:00Z');
    const keys = [
      manifestKey(RUN_A),
      `${manifestKey(RUN_A).replace('manifest.json', '')}sales_order.0001.json`,
      manifestKey(RUN_A, 2),
      manifestKey(RUN_A, 3),
      manifestKey(RUN_B),
      manifestKey(RUN_LATE),
      // A replay manifest whose original is missing is not a unit.
      manifestKey('20261130T150000000Z-orphan00', 2),
    ];
    const units = unitsInWindow(keys, window);
    expect(units).toEqual([
      { runId: RUN_A, originalKey: manifestKey(RUN_A), highest: 3 },
      { runId: RUN_B, originalKey: manifestKey(RUN_B), highest: 1 },
    ]);
    expect(units.map(nextGeneration)).toEqual([4, 2]);
  });

  it('keys of a generation are parsed with it, and generation 1 keys are unchanged', () => {
    expect(manifestKey(RUN_A, 2)).toBe(`units/2026/11/30/${RUN_A}/generation-0002/manifest.json`);
    expect(parseLakeKey(manifestKey(RUN_A, 2))).toEqual({ kind: 'manifest', runId: RUN_A, generation: 2 });
    expect(parseLakeKey(manifestKey(RUN_A))).toEqual({ kind: 'manifest', runId: RUN_A });
    expect(() => manifestKey(RUN_A, 0)).toThrow('generation 0');
  });
});

const s3 = mockClient(S3Client);
const BUCKET = 'acme-ingestion';

function manifest(runId: string) {
  return {
    format: INGESTION_MANIFEST_FORMAT,
    runId,
    extractedAt: '2026-11-30 14:05:00.123',
    windows: { sales_order: { from: null, to: '2026-11-30 14:03:00.123' } },
    changedRows: { sales_order: 2 },
    objects: [
      { table: 'sales_order', key: `units/2026/11/30/${runId}/sales_order.0001.json`, part: 1, rows: 2 },
      { table: 'staff', key: `units/2026/11/30/${runId}/staff.0001.json`, part: 1, rows: 3 },
    ],
  };
}

const notFound = Object.assign(new Error('NotFound'), {
  name: 'NotFound',
  $metadata: { httpStatusCode: 404 },
});

describe('replay on AWS (mocked S3)', () => {
  const client = testClient(S3Client);
  beforeEach(() => mockLake());
  function mockLake() {
    s3.reset();
    // Two pages for the first day: the listing must follow the continuation token.
    s3.on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'units/2026/11/30/' })
      .resolvesOnce({
        Contents: [{ Key: manifestKey(RUN_A) }, { Key: `units/2026/11/30/${RUN_A}/sales_order.0001.json` }],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      })
      .resolvesOnce({
        Contents: [{ Key: manifestKey(RUN_A, 2) }, { Key: manifestKey(RUN_B) }],
        IsTruncated: false,
      });
    s3.on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'units/2026/12/01/' }).resolves({
      Contents: [{ Key: manifestKey(RUN_NEXT_DAY) }],
      IsTruncated: false,
    });
    for (const run of [RUN_A, RUN_B, RUN_NEXT_DAY]) {
      s3.on(GetObjectCommand, { Bucket: BUCKET, Key: manifestKey(run) }).resolves({
        Body: { transformToString: async () => JSON.stringify(manifest(run)) } as never,
      });
    }
    s3.on(HeadObjectCommand).rejects(notFound);
    s3.on(PutObjectCommand).resolves({});
  }

  it('--dry-run lists the units with their rows and next generation, writes nothing', async () => {
    const report = await replayUnits({
      s3: client,
      bucket: BUCKET,
      window: replayWindow('2026-11-30T14:00Z', '2026-12-01T00:05Z'),
      dryRun: true,
      target: 'AWS deployment acme',
    });
    expect(report.units.map((u) => [u.runId, u.generation, u.replaces, u.status, u.rows])).toEqual([
      [RUN_A, 3, 2, 'would-replay', { sales_order: 2, staff: 3 }],
      [RUN_B, 2, 1, 'would-replay', { sales_order: 2, staff: 3 }],
      [RUN_NEXT_DAY, 2, 1, 'would-replay', { sales_order: 2, staff: 3 }],
    ]);
    expect(report.totals).toEqual({ units: 3, rows: 15, failed: 0 });
    const listings = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(listings).toEqual([
      { Bucket: BUCKET, Prefix: 'units/2026/11/30/', ContinuationToken: undefined },
      { Bucket: BUCKET, Prefix: 'units/2026/11/30/', ContinuationToken: 'page-2' },
      { Bucket: BUCKET, Prefix: 'units/2026/12/01/', ContinuationToken: undefined },
    ]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('writes each new generation once, conditionally, with the original objects and its generation', async () => {
    const report = await replayUnits({
      s3: client,
      bucket: BUCKET,
      window: replayWindow('2026-11-30T14:00Z', '2026-11-30T16:00Z'),
      dryRun: false,
      target: 'AWS deployment acme',
    });
    expect(report.units.map((u) => [u.runId, u.generation, u.status])).toEqual([
      [RUN_A, 3, 'replayed'],
      [RUN_B, 2, 'replayed'],
    ]);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Key, p.IfNoneMatch])).toEqual([
      [manifestKey(RUN_A, 3), '*'],
      [manifestKey(RUN_B, 2), '*'],
    ]);
    const written = JSON.parse(String(puts[0]!.Body));
    expect(written).toEqual({ ...manifest(RUN_A), generation: 3, replayOf: manifestKey(RUN_A) });
    expect(puts[0]!.Metadata?.['replay-of']).toBe(manifestKey(RUN_A));
  });

  it('a generation another replay took first: lists the unit again and takes the next one', async () => {
    const taken = Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    s3.on(PutObjectCommand, { Key: manifestKey(RUN_B, 2) }).rejectsOnce(taken);
    s3.on(HeadObjectCommand, { Key: manifestKey(RUN_B, 2) })
      .rejectsOnce(notFound)
      .resolves({ Metadata: { 'replay-id': 'someone-else' } });
    s3.on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: `units/2026/11/30/${RUN_B}/` }).resolves({
      Contents: [{ Key: manifestKey(RUN_B) }, { Key: manifestKey(RUN_B, 2) }],
    });
    const report = await replayUnits({
      s3: client,
      bucket: BUCKET,
      window: replayWindow('2026-11-30T15:00Z', '2026-11-30T16:00Z'),
      dryRun: false,
      target: 'AWS deployment acme',
    });
    expect(report.units.map((u) => [u.runId, u.generation, u.replaces, u.status])).toEqual([
      [RUN_B, 3, 2, 'replayed'],
    ]);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      manifestKey(RUN_B, 2),
      manifestKey(RUN_B, 3),
    ]);
  });

  it('the command: --aws reads <prefix>-ingestion, prints one JSON document; a failed unit exits 1', async () => {
    const out = textSink();
    const err = textSink();
    const report = await replayCommand(
      {
        aws: true,
        prefix: 'acme',
        from: '2026-11-30T14:00Z',
        to: '2026-11-30T16:00Z',
        dryRun: true,
        json: true,
      },
      { out: out.stream, err: err.stream },
      { s3: client },
    );
    expect(JSON.parse(out.text())).toEqual(report);
    expect(report.bucket).toBe(BUCKET);
    expect(err.text()).toContain(`would replay ${RUN_A}`);

    mockLake();
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: manifestKey(RUN_B) }).rejects(
      Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }),
    );
    const text = textSink();
    await expect(
      replayCommand(
        { aws: true, prefix: 'acme', from: '2026-11-30T14:00Z', to: '2026-11-30T16:00Z' },
        { out: text.stream, err: textSink().stream },
        { s3: client },
      ),
    ).rejects.toThrow('replay: 1 of 2 unit(s) could not be replayed');
    expect(text.text()).toContain(`FAILED ${RUN_B}: MissingObjectError`);
    expect(text.text()).toContain(`replayed ${RUN_A}`);
  });

  it('usage errors: no window, a bad time, --aws with --state-dir', async () => {
    const io = { out: textSink().stream, err: textSink().stream };
    await expect(replayCommand({ aws: true, from: '2026-11-30' }, io, { s3: client })).rejects.toThrow(
      UsageError,
    );
    await expect(replayCommand({ aws: true, from: 'x', to: 'y' }, io, { s3: client })).rejects.toThrow(
      '--from: "x" is not a time',
    );
    await expect(
      replayCommand({ aws: true, stateDir: '/tmp/x', from: '2026-11-30', to: '2026-12-01' }, io, {
        s3: client,
      }),
    ).rejects.toThrow('give either --aws or --state-dir, not both');
  });
});
