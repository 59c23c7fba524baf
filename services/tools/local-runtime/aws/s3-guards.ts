import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bucketNameProblem } from './bucket-name.ts';
import { S3Error } from './fauxqs-internals.ts';

/**
 * Request-level guards of the S3 stand-in, in front of fauxqs's routes:
 *
 * - A bucket name outside S3's rules (`..`, `/` after URL decoding, empty, upper case...) is
 *   answered `400 InvalidBucketName`, as S3 answers it, before any route handler (and so before
 *   any file system access) runs.
 * - An error that is not an S3 error (a file the stand-in could not read...) is answered
 *   `500 InternalError` with S3's generic text: the original message may hold an absolute path of
 *   the host, which a client has no business seeing.
 */
export function installS3Guards(app: FastifyInstance): void {
  app.addHook('preHandler', (request, reply, done) => {
    const bucket = s3Bucket(request);
    if (bucket === undefined) {
      done();
      return;
    }
    const problem = bucketNameProblem(bucket);
    if (problem === undefined) {
      done();
      return;
    }
    const error = new S3Error('InvalidBucketName', `The specified bucket is not valid: it ${problem}.`, 400);
    sendS3Error(reply, request, error);
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof S3Error) {
      sendS3Error(reply, request, error);
      return;
    }
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      // Fastify's own client errors (a malformed body...): their text holds no host path.
      reply.code(statusCode).send({ message: error instanceof Error ? error.message : 'bad request' });
      return;
    }
    if (s3Bucket(request) !== undefined || request.url === '/') {
      sendS3Error(
        reply,
        request,
        new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500),
      );
      return;
    }
    reply.code(500).send({
      __type: 'com.amazonaws.sqs#InternalError',
      message: 'We encountered an internal error. Please try again.',
    });
  });
}

/** The bucket of an S3 route (path-style, or rewritten from a virtual host), else undefined. */
function s3Bucket(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const bucket = params?.bucket;
  if (typeof bucket === 'string') return bucket;
  // `PUT /` and `DELETE /` match no bucket route; S3 itself answers them as an empty bucket name.
  if (request.url.split('?')[0] === '/' && (request.method === 'PUT' || request.method === 'DELETE'))
    return '';
  return undefined;
}

function sendS3Error(reply: FastifyReply, request: FastifyRequest, error: S3Error): void {
  reply.code(error.statusCode);
  if (request.method === 'HEAD') {
    reply.send();
    return;
  }
  reply.header('content-type', 'application/xml').send(error.toXml());
}
