/**
 * shared/lake/write.ts against S3's conditional-write answers, which only real S3 gives today
 * (the local stand-in ignores If-None-Match): 412 PreconditionFailed when the key exists, 409
 * ConditionalRequestConflict when another conditional write of the key raced this one — on PUT
 * and on CompleteMultipartUpload alike.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, test } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { LakeConflictError } from '../../../shared/lake/errors.ts';
import { metadataValue, writeOnce } from '../../../shared/lake/write.ts';

const s3 = new S3Client({ region: 'eu-west-2' });
const mock = mockClient(s3);
afterEach(() => {
  mock.reset();
});

const refusal = (status: 409 | 412) =>
  new S3ServiceException({
    name: status === 412 ? 'PreconditionFailed' : 'ConditionalRequestConflict',
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: status === 412 ? 'At least one of the pre-conditions you specified did not hold' : 'conflict',
  });
const notFound = () => new NotFound({ message: 'not found', $metadata: { httpStatusCode: 404 } });

const small = {
  bucket: 'b',
  key: 'k',
  body: '{"a":1}',
  contentType: 'application/json',
  metadata: { 'run-id': 'r1' },
};
const ours = { isOwn: (m: Record<string, string>) => m['run-id'] === 'r1' };

/** A body of two 5 MiB parts and a little, so lib-storage really uploads in parts. */
const large = { ...small, body: new Uint8Array(11 * 1024 * 1024) };
function multipartAccepted() {
  mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  mock.on(UploadPartCommand).resolves({ ETag: '"e"' });
  mock.on(AbortMultipartUploadCommand).resolves({});
}

describe('writeOnce, single PUT', () => {
  test('every PUT carries If-None-Match: *', async () => {
    mock.on(PutObjectCommand).resolves({});
    await expect(writeOnce(s3, small, ours)).resolves.toBe('written');
    expect(mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'b',
      Key: 'k',
      IfNoneMatch: '*',
      Metadata: { 'run-id': 'r1' },
    });
  });

  test('412 with our own object there (an earlier attempt): kept, not an error', async () => {
    mock.on(PutObjectCommand).rejects(refusal(412));
    mock.on(HeadObjectCommand).resolves({ Metadata: { 'run-id': 'r1' } });
    await expect(writeOnce(s3, small, ours)).resolves.toBe('existed');
  });

  test("412 with another writer's object: S3's refusal, or the caller's conflict error", async () => {
    mock.on(PutObjectCommand).rejects(refusal(412));
    mock.on(HeadObjectCommand).resolves({ Metadata: { 'run-id': 'other' } });
    await expect(writeOnce(s3, small, ours)).rejects.toThrow('pre-conditions');
    await expect(
      writeOnce(s3, small, { ...ours, conflict: () => new LakeConflictError('not ours') }),
    ).rejects.toThrow(LakeConflictError);
  });

  test('412, yet the key is gone by the time we look: the refusal fails the write (the retry writes it)', async () => {
    mock.on(PutObjectCommand).rejects(refusal(412));
    mock.on(HeadObjectCommand).rejects(notFound());
    await expect(writeOnce(s3, small, ours)).rejects.toThrow('pre-conditions');
  });

  test('409 (a concurrent conditional write): tried again; a later 412 from the winner is judged', async () => {
    mock.on(PutObjectCommand).rejectsOnce(refusal(409)).resolves({});
    await expect(writeOnce(s3, small, ours)).resolves.toBe('written');
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(2);

    mock.reset();
    mock.on(PutObjectCommand).rejectsOnce(refusal(409)).rejects(refusal(412));
    mock.on(HeadObjectCommand).resolves({ Metadata: { 'run-id': 'other' } });
    await expect(writeOnce(s3, small, ours)).rejects.toThrow('pre-conditions');
  });

  test('409 on every attempt: gives up after three and fails with the conflict', async () => {
    mock.on(PutObjectCommand).rejects(refusal(409));
    await expect(writeOnce(s3, small, ours)).rejects.toThrow('conflict');
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(3);
  });

  test('checkFirst: an object already there is judged without writing', async () => {
    mock.on(HeadObjectCommand).resolves({ Metadata: { 'run-id': 'r1' } });
    await expect(writeOnce(s3, small, { ...ours, checkFirst: true })).resolves.toBe('existed');
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('any other S3 error is not mistaken for an existing object', async () => {
    mock.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    await expect(writeOnce(s3, small, ours)).rejects.toThrow('AccessDenied');
    expect(mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });
});

describe('writeOnce, multipart (above the threshold)', () => {
  test('CompleteMultipartUpload carries If-None-Match: *', async () => {
    multipartAccepted();
    mock.on(CompleteMultipartUploadCommand).resolves({});
    await expect(writeOnce(s3, large, ours)).resolves.toBe('written');
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(mock.commandCalls(UploadPartCommand).length).toBeGreaterThanOrEqual(2);
    const complete = mock.commandCalls(CompleteMultipartUploadCommand);
    expect(complete).toHaveLength(1);
    expect(complete[0]!.args[0].input).toMatchObject({ Bucket: 'b', Key: 'k', IfNoneMatch: '*' });
  });

  test('412 on CompleteMultipartUpload: the upload is aborted; our own object is kept, another refused', async () => {
    multipartAccepted();
    mock.on(CompleteMultipartUploadCommand).rejects(refusal(412));
    mock
      .on(HeadObjectCommand)
      .resolvesOnce({ Metadata: { 'run-id': 'r1' } })
      .resolves({ Metadata: {} });
    await expect(writeOnce(s3, large, ours)).resolves.toBe('existed');
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    await expect(writeOnce(s3, large, ours)).rejects.toThrow('pre-conditions');
  });

  test('409 on CompleteMultipartUpload: the whole upload starts again', async () => {
    multipartAccepted();
    mock.on(CompleteMultipartUploadCommand).rejectsOnce(refusal(409)).resolves({});
    await expect(writeOnce(s3, large, ours)).resolves.toBe('written');
    expect(mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(2);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(2);
  });
});

test('metadataValue keeps ASCII as it is and percent-encodes the rest (and %)', () => {
  expect(metadataValue('units/a b+c.json')).toBe('units/a b+c.json');
  expect(metadataValue('café 100%')).toBe('caf%C3%A9 100%25');
});
