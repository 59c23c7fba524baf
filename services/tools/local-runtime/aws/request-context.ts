import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/**
 * What a store method needs to know about the HTTP request that called it (fauxqs's route handlers
 * call the stores without passing the request): the S3 request id the client will see (an event's
 * responseElements repeat it), the caller's address, whether a PutObject is really a CopyObject, and
 * whether the write is conditional (`If-None-Match: *`).
 */
export interface S3RequestContext {
  readonly requestId: string;
  readonly hostId: string;
  readonly sourceIp: string;
  readonly isCopy: boolean;
  /** `If-None-Match: *`: the write must fail (412) if the key already holds an object. */
  readonly ifNoneMatchAny: boolean;
}

const storage = new AsyncLocalStorage<S3RequestContext>();

export function currentRequest(): S3RequestContext | undefined {
  return storage.getStore();
}

/** A fresh id pair in the format S3 uses (16 upper-case hex digits; a base64 host id). */
export function newRequestIds(): { requestId: string; hostId: string } {
  return {
    requestId: randomBytes(8).toString('hex').toUpperCase(),
    hostId: randomBytes(48).toString('base64'),
  };
}

/**
 * Runs every route handler inside a context. Fastify calls the handler synchronously from the last
 * preHandler's `done`, so running `done` inside `storage.run` scopes the whole handler. The ids are
 * set as response headers here, so fauxqs's own onSend hook keeps them.
 */
export function installRequestContext(app: FastifyInstance): void {
  app.addHook('preHandler', (request, reply, done) => {
    const { requestId, hostId } = newRequestIds();
    reply.header('x-amz-request-id', requestId);
    reply.header('x-amz-id-2', hostId);
    const context: S3RequestContext = {
      requestId,
      hostId,
      sourceIp: request.ip,
      isCopy: request.method === 'PUT' && request.headers['x-amz-copy-source'] !== undefined,
      ifNoneMatchAny: request.headers['if-none-match']?.trim() === '*',
    };
    storage.run(context, done);
  });
}
