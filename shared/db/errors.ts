/**
 * Connection-level failures of the database driver, told apart from errors the database itself
 * returned (those carry a SQLSTATE and pass through unchanged).
 */
import { BackendTerminatedError, BackendTerminatedUnexpectedlyError, ConnectionError } from 'slonik';

/**
 * The database could not be reached or stopped answering: the connection was refused, reset, or
 * not established within the connection timeout. A stage fails the record it was working on (it is
 * retried, then rests in the DLQ); a command exits 2 with this one line.
 */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** Node's network error codes that mean the server is not there or not answering, in words. */
const NETWORK_CODES: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ECONNRESET', 'connection reset'],
  ['ETIMEDOUT', 'connection timed out'],
  ['EPIPE', 'connection closed'],
  ['ENOTFOUND', 'host not found'],
  ['EAI_AGAIN', 'host name lookup failed'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
]);

/**
 * Why a connection failed, in one line: the network cause in words with the driver's text
 * ("connection refused (connect ECONNREFUSED 127.0.0.1:1)"), else the driver's text.
 */
export function connectionFailureReason(error: unknown): string {
  let current: unknown = error;
  let first: string | undefined;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { code, message, cause, errors } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    const text = typeof message === 'string' && message !== '' ? message : undefined;
    first ??= text;
    const words = typeof code === 'string' ? NETWORK_CODES.get(code) : undefined;
    if (words) return `${words} (${text ?? code})`;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return first ?? String(error);
}

/**
 * What `pg` raises without a code: its connection timeout destroys the socket with
 * `new Error('timeout expired')`, and a socket closed under a client ends its queries with
 * "Connection terminated…".
 */
const DRIVER_MESSAGES = [/^timeout expired$/, /^Connection terminated/];

/** True when `error` (or anything in its cause chain) is a connection-level failure, not a SQLSTATE. */
export function isConnectionFailure(error: unknown): boolean {
  // Duck-typed, not `instanceof Error`: Node's socket errors may come from another realm (a VM
  // context such as Jest's), where that check is false.
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (
      current instanceof DatabaseUnreachableError ||
      current instanceof ConnectionError ||
      current instanceof BackendTerminatedError ||
      current instanceof BackendTerminatedUnexpectedlyError
    ) {
      return true;
    }
    const { code, message, cause, errors } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (code === undefined && typeof message === 'string' && DRIVER_MESSAGES.some((p) => p.test(message)))
      return true;
    // AggregateError (happy eyeballs tries ::1 and 127.0.0.1) keeps its parts in `errors`.
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return false;
}

/** `host:port/database` of a connection URL: names the server without its credentials. */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '<unparseable URL>';
  }
}
