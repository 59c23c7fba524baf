/**
 * The rebuild's pure parts: listing the processed lake (ListObjectsV2 pagination, mocked with
 * aws-sdk-client-mock), the lake lookup of ledger units (HeadObject), the target rules, the
 * database identity used to refuse the live warehouse, and the plain progress lines.
 */
import { HeadObjectCommand, ListObjectsV2Command, NotFound, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  countProcessedManifests,
  listProcessedManifests,
  unitsMissingFromLake,
} from '../../../services/tools/ops/rebuild/lake.ts';
import { createProgress } from '../../../services/tools/ops/rebuild/progress.ts';
import {
  decideTarget,
  LEDGER_SAMPLE,
  sameDatabase,
  samplePositions,
} from '../../../services/tools/ops/rebuild/target.ts';

const s3Mock = mockClient(S3Client);
const s3 = () =>
  new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const BUCKET = 'totes-processed-123';

const unitKey = (run: string, rest = 'manifest.json') => `units/2026/11/30/${run}/${rest}`;

beforeEach(() => s3Mock.reset());

describe('listProcessedManifests', () => {
  it('follows every page and yields the manifests only, in key order', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'units/', ContinuationToken: undefined })
      .resolves({
        IsTruncated: true,
        NextContinuationToken: 'page-2',
        Contents: [
          { Key: unitKey('r1', 'dim_staff.0001.parquet') },
          { Key: unitKey('r1') },
          { Key: unitKey('r2', 'fact_payment.0001.parquet') },
        ],
      });
    s3Mock
      .on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'units/', ContinuationToken: 'page-2' })
      .resolves({
        IsTruncated: true,
        NextContinuationToken: 'page-3',
        Contents: [
          { Key: unitKey('r2', 'part-0001/manifest.json') },
          { Key: unitKey('r2', 'part-0002/manifest.json') },
        ],
      });
    s3Mock
      .on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'units/', ContinuationToken: 'page-3' })
      .resolves({ IsTruncated: false, Contents: [{ Key: unitKey('r3') }, { Key: 'units/notes.txt' }] });

    const keys: string[] = [];
    for await (const key of listProcessedManifests(s3(), BUCKET, { pageSize: 3 })) keys.push(key);
    expect(keys).toEqual([
      unitKey('r1'),
      unitKey('r2', 'part-0001/manifest.json'),
      unitKey('r2', 'part-0002/manifest.json'),
      unitKey('r3'),
    ]);
    const calls = s3Mock.commandCalls(ListObjectsV2Command);
    expect(calls.map((c) => c.args[0].input.ContinuationToken)).toEqual([undefined, 'page-2', 'page-3']);
    expect(calls.every((c) => c.args[0].input.MaxKeys === 3)).toBe(true);
  });

  it('an empty bucket lists nothing; the count is a listing pass', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false });
    expect(await countProcessedManifests(s3(), BUCKET)).toBe(0);
    s3Mock.reset();
    s3Mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({ IsTruncated: true, NextContinuationToken: 't', Contents: [{ Key: unitKey('a') }] });
    s3Mock.on(ListObjectsV2Command, { ContinuationToken: 't' }).resolves({
      IsTruncated: false,
      Contents: [{ Key: unitKey('b') }, { Key: unitKey('b', 'x.0001.parquet') }],
    });
    expect(await countProcessedManifests(s3(), BUCKET)).toBe(2);
  });

  it('a refused listing is the caller’s error, not an empty lake', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(countProcessedManifests(s3(), BUCKET)).rejects.toThrow('Access Denied');
  });
});

describe('unitsMissingFromLake', () => {
  it('names the ledger units whose manifest the bucket does not hold', async () => {
    s3Mock.on(HeadObjectCommand, { Key: unitKey('here') }).resolves({});
    s3Mock
      .on(HeadObjectCommand, { Key: unitKey('gone') })
      .rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    expect(await unitsMissingFromLake(s3(), BUCKET, [unitKey('here'), unitKey('gone')])).toEqual([
      unitKey('gone'),
    ]);
    expect(s3Mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Bucket)).toEqual([
      BUCKET,
      BUCKET,
    ]);
  });

  it('any other failure is thrown (a denied lookup proves nothing)', async () => {
    s3Mock.on(HeadObjectCommand).rejects(Object.assign(new Error('Forbidden'), { name: 'Forbidden' }));
    await expect(unitsMissingFromLake(s3(), BUCKET, [unitKey('x')])).rejects.toThrow('Forbidden');
  });
});

describe('decideTarget', () => {
  const empty = { ledgerUnits: 0, sampleUnitIds: [], tablesWithRows: [] };
  const resumed = { ledgerUnits: 5, sampleUnitIds: [unitKey('a')], tablesWithRows: ['dim_date'] };

  it('an empty warehouse is rebuilt; one whose ledger units are all in the lake is resumed', () => {
    expect(decideTarget(empty, [], BUCKET, false)).toEqual({ ok: true, kind: 'empty', ledgerUnits: 0 });
    expect(decideTarget(resumed, [], BUCKET, false)).toEqual({ ok: true, kind: 'resume', ledgerUnits: 5 });
  });

  it('rows without a ledger, or a ledger of another lake, are refused unless forced', () => {
    const hand = { ledgerUnits: 0, sampleUnitIds: [], tablesWithRows: ['dim_staff', 'fact_payment'] };
    const refusedHand = decideTarget(hand, [], BUCKET, false);
    expect(refusedHand).toMatchObject({ ok: false });
    expect(!refusedHand.ok && refusedHand.reason).toMatch(/dim_staff, fact_payment.*load ledger is empty/);
    const foreign = decideTarget(resumed, [unitKey('a')], BUCKET, false);
    expect(!foreign.ok && foreign.reason).toMatch(
      new RegExp(`holds unit ${unitKey('a')}, which s3://${BUCKET} does not`),
    );
    expect(decideTarget(hand, [], BUCKET, true)).toMatchObject({ ok: true, kind: 'resume' });
    expect(decideTarget(resumed, [unitKey('a')], BUCKET, true)).toMatchObject({ ok: true });
  });
});

describe('samplePositions', () => {
  it('spreads the sample over the ledger, first and last included', () => {
    expect(samplePositions(3, LEDGER_SAMPLE)).toEqual([1, 2, 3]);
    expect(samplePositions(1_000, 4)).toEqual([1, 334, 667, 1000]);
    const many = samplePositions(100_000, LEDGER_SAMPLE);
    expect(many).toHaveLength(LEDGER_SAMPLE);
    expect(new Set(many).size).toBe(LEDGER_SAMPLE);
  });
});

describe('sameDatabase', () => {
  it('compares host, port and database, not user, password or options', () => {
    expect(
      sameDatabase(
        'postgres://load:pw@localhost:5432/warehouse',
        'postgresql://other@127.0.0.1/warehouse?sslmode=disable',
      ),
    ).toBe(true);
    expect(sameDatabase('postgres://u@db.example:6543/w', 'postgres://v:x@DB.example:6543/w')).toBe(true);
    expect(sameDatabase('postgres://u@127.0.0.1:5432/warehouse', 'postgres://u@127.0.0.1:5432/rebuilt')).toBe(
      false,
    );
    expect(
      sameDatabase('postgres://u@127.0.0.1:5433/warehouse', 'postgres://u@127.0.0.1:5432/warehouse'),
    ).toBe(false);
    expect(sameDatabase('not a url', 'not a url')).toBe(false);
  });
});

describe('createProgress (not a terminal)', () => {
  it('writes a plain line at most every interval, and always the last one', () => {
    const lines: string[] = [];
    const stream = {
      isTTY: false,
      write: (text: string) => lines.push(text),
    } as unknown as NodeJS.WriteStream;
    let now = 0;
    const progress = createProgress(stream, { intervalMs: 1_000, now: () => now });
    const counts = (applied: number) => ({ applied, alreadyApplied: 1, failed: 0 });
    progress.update(1, 4, counts(0));
    now = 500;
    progress.update(2, 4, counts(1));
    now = 1_500;
    progress.update(3, 4, counts(2));
    now = 1_600;
    progress.update(4, 4, counts(3));
    progress.stop();
    expect(lines).toEqual([
      'rebuild: 1/4 units (25%), 0 applied, 1 already applied\n',
      'rebuild: 3/4 units (75%), 2 applied, 1 already applied\n',
      'rebuild: 4/4 units (100%), 3 applied, 1 already applied\n',
    ]);
  });
});
