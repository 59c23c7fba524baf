import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  encodeS3EventKey,
  type LocalAws,
  type S3EventRecord,
  startLocalAws,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { type Clients, clientsFor, drain, isTestEvent, tempStateDir } from './support.ts';

const decode = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

describe('S3 event key encoding', () => {
  test('every ASCII character and non-ASCII text decode back to the key', () => {
    const ascii = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).join('');
    for (const key of [ascii, 'é ü 日本 🚀', 'a b+c%d/e~f*g(h)=i:j']) {
      expect(decode(encodeS3EventKey(key))).toBe(key);
    }
  });

  test('uses form encoding: "+" for spaces, "/" kept, upper-case hex', () => {
    expect(encodeS3EventKey('units/run 1/a+b%c é:x~y*z.json')).toBe(
      'units/run+1/a%2Bb%25c+%C3%A9%3Ax%7Ey*z.json',
    );
  });
});

describe('S3 → SQS notification bridge', () => {
  let aws: LocalAws;
  let clients: Clients;
  let transformUrl: string;
  let loadUrl: string;

  const records = async (queueUrl: string): Promise<S3EventRecord[]> =>
    (await drain(clients.sqs, queueUrl))
      .filter((body) => !isTestEvent(body))
      .flatMap((body) => (JSON.parse(body) as { Records: S3EventRecord[] }).Records);

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'bridge' });
    clients = clientsFor(aws);
    transformUrl = aws.queueUrls['bridge-transform']!;
    loadUrl = aws.queueUrls['bridge-load']!;
  });

  afterAll(async () => {
    clients.destroy();
    await aws.stop();
  });

  test('on first start each notified queue gets one s3:TestEvent naming its bucket', async () => {
    const [transformBodies, loadBodies] = [
      await drain(clients.sqs, transformUrl),
      await drain(clients.sqs, loadUrl),
    ];
    for (const [bodies, bucket] of [
      [transformBodies, 'bridge-ingestion'],
      [loadBodies, 'bridge-processed'],
    ] as const) {
      expect(bodies.map((body) => JSON.parse(body))).toEqual([
        {
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          Bucket: bucket,
          RequestId: expect.stringMatching(/^[0-9A-F]{16}$/),
          HostId: expect.any(String),
        },
      ]);
      expect(Object.keys(JSON.parse(bodies[0]!))).toEqual([
        'Service',
        'Event',
        'Time',
        'Bucket',
        'RequestId',
        'HostId',
      ]);
    }
  });

  test('a PutObject of a manifest sends exactly the JSON S3 sends', async () => {
    const key = 'units/2026/11/28/run 1/a+b%c é/manifest.json';
    const body = '{"manifest":"é"}';
    const put = await clients.s3.send(
      new PutObjectCommand({ Bucket: 'bridge-ingestion', Key: key, Body: body }),
    );
    const [record, ...more] = await records(transformUrl);
    expect(more).toEqual([]);
    expect(record).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: aws.region,
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: expect.any(String) },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: {
        'x-amz-request-id': put.$metadata.requestId,
        'x-amz-id-2': put.$metadata.extendedRequestId,
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'transform-manifests',
        bucket: {
          name: 'bridge-ingestion',
          ownerIdentity: { principalId: expect.any(String) },
          arn: 'arn:aws:s3:::bridge-ingestion',
        },
        object: {
          key: 'units/2026/11/28/run+1/a%2Bb%25c+%C3%A9/manifest.json',
          size: Buffer.byteLength(body),
          eTag: createHash('md5').update(body).digest('hex'),
          sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
        },
      },
    });
    expect(decode(record!.s3.object.key)).toBe(key);
    expect(`"${record!.s3.object.eTag}"`).toBe(put.ETag);
  });

  test('only keys with the notified suffix, and only to their bucket’s queue', async () => {
    await clients.s3.send(
      new PutObjectCommand({ Bucket: 'bridge-ingestion', Key: 'units/r/sales_order.0001.json', Body: '{}' }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: 'bridge-ingestion', Key: 'units/r/manifest.json.bak', Body: '{}' }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: 'bridge-processed', Key: 'units/r/manifest.json', Body: '{}' }),
    );
    expect(await records(transformUrl)).toEqual([]);
    const load = await records(loadUrl);
    expect(load.map((r) => [r.s3.bucket.name, r.s3.object.key])).toEqual([
      ['bridge-processed', 'units/r/manifest.json'],
    ]);
  });

  test('CopyObject and CompleteMultipartUpload name their event; the sequencer grows per key', async () => {
    const Bucket = 'bridge-processed';
    await clients.s3.send(new PutObjectCommand({ Bucket, Key: 'src/manifest.json', Body: 'v1' }));
    await clients.s3.send(new PutObjectCommand({ Bucket, Key: 'src/manifest.json', Body: 'v2' }));
    await clients.s3.send(
      new CopyObjectCommand({ Bucket, Key: 'copy/manifest.json', CopySource: `${Bucket}/src/manifest.json` }),
    );
    const { UploadId } = await clients.s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key: 'mp/manifest.json' }),
    );
    const part = await clients.s3.send(
      new UploadPartCommand({ Bucket, Key: 'mp/manifest.json', UploadId, PartNumber: 1, Body: 'one part' }),
    );
    await clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'mp/manifest.json',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const got = await records(loadUrl);
    expect(got.map((r) => [r.eventName, r.s3.object.key, r.s3.object.size])).toEqual([
      ['ObjectCreated:Put', 'src/manifest.json', 2],
      ['ObjectCreated:Put', 'src/manifest.json', 2],
      ['ObjectCreated:Copy', 'copy/manifest.json', 2],
      ['ObjectCreated:CompleteMultipartUpload', 'mp/manifest.json', 8],
    ]);
    expect(got[1]!.s3.object.sequencer > got[0]!.s3.object.sequencer).toBe(true);
    expect(got[3]!.s3.object.eTag).toMatch(/^[0-9a-f]{32}-1$/);
  });
});

describe('S3 → SQS notification bridge with a state folder', () => {
  test('test events go out once per configuration; sequencers keep growing across restarts', async () => {
    const state = tempStateDir('bridge');
    try {
      const sequencers: string[] = [];
      for (const round of [1, 2]) {
        const aws = await startLocalAws({ stateDir: state.dir, prefix: 'again' });
        const clients = clientsFor(aws);
        try {
          const bodies = await drain(clients.sqs, aws.queueUrls['again-load']!);
          expect(bodies.filter(isTestEvent)).toHaveLength(round === 1 ? 1 : 0);
          await clients.s3.send(
            new PutObjectCommand({
              Bucket: 'again-processed',
              Key: 'u/manifest.json',
              Body: `round ${round}`,
            }),
          );
          const [note] = (await drain(clients.sqs, aws.queueUrls['again-load']!)).map(
            (body) => JSON.parse(body).Records[0] as S3EventRecord,
          );
          sequencers.push(note!.s3.object.sequencer);
        } finally {
          clients.destroy();
          await aws.stop();
        }
      }
      expect(sequencers[1]! > sequencers[0]!).toBe(true);
    } finally {
      state.remove();
    }
  });
});
