/**
 * Attacks on the S3 stand-in of a persistent local stack (issue 19, "bucket names escape the S3
 * folder"), replayed over plain HTTP on 127.0.0.1 as an attacker would send them, and the write-once
 * rule (`If-None-Match: *`) through the real SDK on both the single PUT and the multipart path.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { bucketNameProblem } from '../../../services/tools/local-runtime/aws/bucket-name.ts';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { type Sandbox, sandbox } from './support.ts';

describe('S3 stand-in: bucket names cannot leave the state folder', () => {
  let box: Sandbox;
  let aws: LocalAws;
  let s3: S3Client;
  let before: string[];
  const bucket = 'sec-ingestion';
  const lakeFiles = () => readdirSync(path.join(box.stateDir, 's3', bucket), { recursive: true }).length;

  const raw = (method: string, rawPath: string, body?: string) =>
    fetch(`${aws.endpoints.s3}${rawPath}`, { method, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    box = sandbox('s3');
    before = box.outside();
    aws = await startLocalAws({ stateDir: box.stateDir, prefix: 'sec', testEvents: false });
    s3 = new S3Client({
      region: aws.region,
      endpoint: aws.endpoints.s3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    for (let i = 0; i < 3; i += 1)
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `units/r${i}/a.json`, Body: `{"i":${i}}` }));
  });

  afterAll(async () => {
    s3?.destroy();
    await aws?.stop();
    box?.remove();
  });

  test.each([
    ['PUT', '/..%2F..%2Fdecoy2'],
    ['PUT', '/..%2F..%2Fdecoy2/'],
    ['PUT', '/..%2F..%2Fdecoy2/object.txt'],
    ['PUT', '/..%2Fneighbour/object.txt'],
    ['DELETE', '/..%2F..%2Fneighbour'],
    ['DELETE', '/..%2F..%2Fneighbour/'],
    ['DELETE', '/..%2F..%2Fneighbour/keep.txt'],
    ['GET', '/..%2F..%2Fneighbour/keep.txt'],
    ['POST', '/..%2F..%2Fneighbour?delete'],
    ['PUT', '/'],
    ['DELETE', '/'],
    ['PUT', '/Upper-Case'],
    ['PUT', '/192.168.1.10'],
    ['PUT', '/ab'],
    ['PUT', '/a..b'],
    ['PUT', '/xn--bucket'],
  ])('%s %s is refused with 400 InvalidBucketName, nothing written or deleted', async (method, rawPath) => {
    const response = await raw(method, rawPath, method === 'PUT' || method === 'POST' ? 'x' : undefined);
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).toContain('<Code>InvalidBucketName</Code>');
    expect(text).not.toContain(box.root);
    expect(box.outside()).toEqual(before);
    expect(lakeFiles()).toBeGreaterThanOrEqual(3);
    expect(existsSync(path.join(box.stateDir, 's3'))).toBe(true);
  });

  test('an object whose file vanished answers 500 InternalError without any host path', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'vanishing.json', Body: '{}' }));
    rmSync(path.join(box.stateDir, 's3', bucket, 'vanishing.json'));
    const response = await raw('GET', `/${bucket}/vanishing.json`);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain('<Code>InternalError</Code>');
    expect(text).not.toContain(box.root);
    expect(text).not.toContain('/tmp');
  });

  test('the rules are S3 rules: valid names of the pipeline pass, others name their problem', () => {
    for (const name of ['totes-ingestion', 'totes-processed', 'a.b-c', 'abc', 'x'.repeat(63)])
      expect(bucketNameProblem(name)).toBeUndefined();
    expect(bucketNameProblem('')).toMatch(/between 3 and 63/);
    expect(bucketNameProblem('x'.repeat(64))).toMatch(/between 3 and 63/);
    expect(bucketNameProblem('../x')).toMatch(/lowercase letters/);
    expect(bucketNameProblem('a..b')).toMatch(/two adjacent dots/);
    expect(bucketNameProblem('10.0.0.1')).toMatch(/IP address/);
    expect(bucketNameProblem('-abc')).toMatch(/begin and end/);
    expect(bucketNameProblem('abc--x-s3')).toMatch(/reserved suffix/);
  });
});

describe('S3 stand-in: If-None-Match: * (write-once), through the real SDK', () => {
  let box: Sandbox;
  let aws: LocalAws;
  let s3: S3Client;
  const bucket = 'once-ingestion';

  beforeAll(async () => {
    box = sandbox('once');
    aws = await startLocalAws({ stateDir: box.stateDir, prefix: 'once', testEvents: false });
    s3 = new S3Client({
      region: aws.region,
      endpoint: aws.endpoints.s3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    s3?.destroy();
    await aws?.stop();
    box?.remove();
  });

  const read = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))
      .Body!.transformToByteArray()
      .then((bytes) => Buffer.from(bytes));

  test('PutObject: the first write lands, a second one fails with 412 and changes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k.json', Body: 'first', IfNoneMatch: '*' }));
    const second = s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k.json', Body: 'second', IfNoneMatch: '*' }),
    );
    await expect(second).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    expect((await read('k.json')).toString()).toBe('first');
    // Without the condition, S3 overwrites.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k.json', Body: 'third' }));
    expect((await read('k.json')).toString()).toBe('third');
  });

  test('multipart (lib-storage Upload): CompleteMultipartUpload carries the condition and fails with 412', async () => {
    const first = Buffer.alloc(6 * 1024 * 1024, 1);
    const second = Buffer.alloc(6 * 1024 * 1024, 2);
    const upload = (body: Buffer) =>
      new Upload({
        client: s3,
        params: { Bucket: bucket, Key: 'big.bin', Body: body, IfNoneMatch: '*' },
        partSize: 5 * 1024 * 1024,
        queueSize: 1,
      }).done();
    const sentHeaders: (string | undefined)[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CompleteMultipartUploadCommand') {
          const request = args.request as { headers: Record<string, string> };
          sentHeaders.push(request.headers['if-none-match']);
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordIfNoneMatch' },
    );
    try {
      await upload(first);
      await expect(upload(second)).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    } finally {
      s3.middlewareStack.remove('recordIfNoneMatch');
    }
    expect(sentHeaders).toEqual(['*', '*']);
    const stored = await read('big.bin');
    expect(stored.length).toBe(first.length);
    expect(stored.equals(first)).toBe(true);
  });
});
