/**
 * Faults at the emulators' HTTP layer: the SDK clients of the handlers, the event source mapping
 * and the ops tools get the error responses real S3, SQS and DynamoDB send (same status, error code
 * and body shape), so the SDK's own retry logic and the stages' error handling see real errors.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultInjector, FaultKind } from './injector.ts';

const SQS_SEND = new Set(['SendMessage', 'SendMessageBatch']);
const SQS_RECEIVE = new Set(['ReceiveMessage']);
const SQS_DELETE = new Set([
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
]);
const DDB_READ = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const DDB_WRITE = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function header(request: { headers: IncomingMessage['headers'] }, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The fault boundary of one request to fauxqs (S3 or SQS), or undefined when none applies. */
export function fauxqsBoundary(
  method: string,
  url: string,
  target: string | undefined,
): FaultKind | undefined {
  if (target?.startsWith('AmazonSQS.')) {
    const operation = target.slice('AmazonSQS.'.length);
    if (SQS_SEND.has(operation)) return 'sqs.send';
    if (SQS_RECEIVE.has(operation)) return 'sqs.receive';
    if (SQS_DELETE.has(operation)) return 'sqs.delete';
    return undefined;
  }
  const parsed = new URL(url, 'http://local');
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments[0]?.startsWith('_fauxqs') || segments[0] === 'health')
    return undefined;
  const hasKey = segments.length >= 2;
  if (method === 'PUT' && hasKey) return 's3.put';
  if (
    method === 'POST' &&
    hasKey &&
    (parsed.searchParams.has('uploads') || parsed.searchParams.has('uploadId'))
  )
    return 's3.put';
  if ((method === 'GET' || method === 'HEAD') && hasKey) return 's3.get';
  if (method === 'GET' && !hasKey && parsed.searchParams.has('list-type')) return 's3.get';
  return undefined;
}

function s3Error(reply: FastifyReply, method: string, slowDown: boolean): void {
  const status = slowDown ? 503 : 500;
  const code = slowDown ? 'SlowDown' : 'InternalError';
  const message = slowDown
    ? 'Please reduce your request rate.'
    : 'We encountered an internal error. Please try again.';
  reply.code(status).header('content-type', 'application/xml');
  if (method === 'HEAD') {
    reply.send();
    return;
  }
  reply.send(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAULT${Date.now()}</RequestId></Error>`,
  );
}

function sqsErrorBody(unavailable: boolean): { status: number; code: string; body: string } {
  const code = unavailable ? 'ServiceUnavailable' : 'InternalError';
  const message = unavailable
    ? 'The request has failed due to a temporary failure of the server.'
    : 'We encountered an internal error. Please try again.';
  return {
    status: unavailable ? 503 : 500,
    code,
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }),
  };
}

function sqsError(reply: FastifyReply, unavailable: boolean): FastifyReply {
  const { status, code, body } = sqsErrorBody(unavailable);
  return reply
    .code(status)
    .header('content-type', 'application/x-amz-json-1.0')
    .header('x-amzn-query-error', `${code};Receiver`)
    .send(body);
}

/** Share of faults whose operation RAN before the error was answered (the response was lost). */
export const LOST_RESPONSE_SHARE = 0.3;

/**
 * Hooks on the fauxqs app. Most faults answer before the operation runs (nothing happened). A
 * share of them answer AFTER it ran, as when a connection drops mid-response: a put whose object
 * exists, a send whose message is queued (the SDK's retry sends it again), a receive whose messages
 * are now invisible with their receive count raised, a delete that deleted.
 */
export function installFauxqsFaults(app: FastifyInstance, faults: FaultInjector): void {
  const lostResponses = new WeakSet<FastifyRequest>();
  app.addHook('onRequest', (request, reply, done) => {
    const kind = fauxqsBoundary(request.method, request.url, header(request, 'x-amz-target'));
    if (kind === undefined || !faults.draw(kind)) {
      done();
      return;
    }
    const variant = faults.rng(kind).next();
    if (kind !== 's3.get' && variant < LOST_RESPONSE_SHARE) {
      lostResponses.add(request);
      done();
      return;
    }
    const unavailable = variant >= 0.8;
    if (kind.startsWith('s3.')) s3Error(reply, request.method, unavailable);
    else sqsError(reply, unavailable);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!lostResponses.has(request)) {
      done(null, payload);
      return;
    }
    if (!request.headers['x-amz-target']) {
      reply.code(500).header('content-type', 'application/xml');
      done(
        null,
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
      );
      return;
    }
    const { status, code, body } = sqsErrorBody(false);
    reply
      .code(status)
      .header('content-type', 'application/x-amz-json-1.0')
      .header('x-amzn-query-error', `${code};Receiver`);
    done(null, body);
  });
}

/**
 * Wraps dynalite's request listener: a faulted request gets DynamoDB's 500 InternalServerError or
 * its 400 ThrottlingException (both retried by the SDK) without reaching the table.
 */
export function dynamoDbFaults(faults: FaultInjector): (listener: RequestListener) => RequestListener {
  return (listener) => (request: IncomingMessage, response: ServerResponse) => {
    const target = header(request, 'x-amz-target') ?? '';
    const operation = target.slice(target.indexOf('.') + 1);
    const kind: FaultKind | undefined = DDB_READ.has(operation)
      ? 'ddb.read'
      : DDB_WRITE.has(operation)
        ? 'ddb.write'
        : undefined;
    if (kind === undefined || !faults.draw(kind)) {
      listener(request, response);
      return;
    }
    const variant = faults.rng(kind).next();
    const throttle = variant >= 0.65;
    const type = throttle ? 'ThrottlingException' : 'InternalServerError';
    const body = JSON.stringify({
      __type: `com.amazonaws.dynamodb.v20120810#${type}`,
      message: throttle ? 'Rate of requests exceeds the allowed throughput.' : 'Internal server error',
    });
    const sendError = () => {
      response.writeHead(throttle ? 400 : 500, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `FAULT${Date.now()}`,
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    };
    if (kind === 'ddb.write' && variant < LOST_RESPONSE_SHARE) {
      // The write happens; its response is replaced by a 500 (the SDK retries the same write,
      // a conditional one then fails its condition against its own first attempt).
      const { writeHead, setHeader, end } = response;
      response.setHeader = (() => response) as typeof response.setHeader;
      response.writeHead = (() => response) as typeof response.writeHead;
      response.end = (() => {
        response.setHeader = setHeader;
        response.writeHead = writeHead;
        response.end = end;
        sendError();
        return response;
      }) as typeof response.end;
      listener(request, response);
      return;
    }
    // Drain the request body first, as a server does, so the client sees a clean response.
    request.resume();
    request.on('end', sendError);
  };
}
