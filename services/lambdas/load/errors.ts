/**
 * Load failures, classified so a record is retried only when retrying can help, and always
 * carrying the database's own message (the shared SQS consumer records `name` and `message` in the
 * failure record the on-call engineer reads).
 */
import { LakeError } from '../../../shared/lake/errors.ts';

export type FailureKind = 'transient' | 'permanent';

export class LoadError extends Error {
  override name = 'LoadError';
  readonly kind: FailureKind;
  /** The SQLSTATE (or Node socket error code) behind the failure, when there is one. */
  readonly code: string | undefined;
  readonly attempts: number;

  constructor(
    message: string,
    options: { cause?: unknown; kind: FailureKind; code?: string | undefined; attempts?: number },
  ) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.code = options.code;
    this.attempts = options.attempts ?? 1;
  }
}

/** The warehouse refused the unit for a reason retrying cannot fix (constraint, data, schema). */
export class PermanentLoadError extends LoadError {
  override name = 'PermanentLoadError';
}

/** The warehouse was unreachable or busy on every attempt (connection, deadlock, serialization). */
export class TransientLoadError extends LoadError {
  override name = 'TransientLoadError';
}

/** The processed unit itself is wrong: bad manifest, missing column, value of the wrong type. */
export class BadUnitError extends Error {
  override name = 'BadUnitError';
}

/**
 * SQLSTATEs worth retrying: the same statement can succeed a moment later. Class 08 (connection
 * exception), 40 (transaction rollback: 40001 serialization_failure, 40P01 deadlock_detected),
 * 53 (insufficient resources: 53300 too_many_connections), 57P01–57P05 (admin/crash shutdown,
 * cannot connect now, idle session timeout), 57014 (query_canceled: the statement timeout),
 * 55P03 (lock_not_available), 58000/58030 (system/IO error on the server).
 */
const TRANSIENT_SQLSTATE = /^(08|40|53)|^57P0[1-5]$|^57014$|^55P03$|^580(00|30)$/;

/** Five characters, digits and upper-case letters; Node's codes (EPIPE) start with E, no SQLSTATE class does. */
const isSqlState = (code: string) => /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code);

/** Node socket / DNS errors that mean "could not talk to the server right now". */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Slonik error classes that wrap a lost or unobtainable connection (no SQLSTATE of their own). */
const TRANSIENT_ERROR_NAMES = new Set([
  'ConnectionError',
  'BackendTerminatedError',
  'BackendTerminatedUnexpectedlyError',
  'StatementTimeoutError',
  'IdleTransactionTimeoutError',
]);

const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /socket hang up/i,
];

interface ErrorFacts {
  readonly code: string | undefined;
  readonly message: string;
  readonly names: readonly string[];
  readonly messages: readonly string[];
  readonly detail: string | undefined;
}

/** Walks the `cause` chain (slonik wraps pg errors) collecting codes, names and messages. */
function facts(error: unknown): ErrorFacts {
  const names: string[] = [];
  const messages: string[] = [];
  let code: string | undefined;
  let sqlMessage: string | undefined;
  let detail: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    if (typeof current !== 'object') {
      messages.push(String(current));
      break;
    }
    const e = current as {
      name?: unknown;
      message?: unknown;
      code?: unknown;
      cause?: unknown;
      context?: unknown;
    };
    if (e.code === 'ERR_UNHANDLED_ERROR' && e.context) {
      // Slonik emits every query error on the pool's EventEmitter; with no 'error' listener Node
      // throws ERR_UNHANDLED_ERROR instead, holding the real error in `context`.
      current = e.context;
      continue;
    }
    if (typeof e.name === 'string') names.push(e.name);
    if (typeof e.message === 'string') messages.push(e.message);
    if (code === undefined && typeof e.code === 'string' && e.code.length > 0) {
      code = e.code;
      if (typeof e.message === 'string') sqlMessage = e.message;
      const d = (current as { detail?: unknown }).detail;
      if (typeof d === 'string' && d !== '') detail = d;
    }
    current = e.cause;
  }
  return { code, message: sqlMessage ?? messages.at(-1) ?? String(error), names, messages, detail };
}

export function classifyError(error: unknown): FailureKind {
  if (error instanceof LoadError) return error.kind;
  // A bad unit, or a lake object missing or too large (shared/lake/errors.ts): retrying cannot help.
  if (error instanceof BadUnitError || error instanceof LakeError) return 'permanent';
  const f = facts(error);
  if (f.code !== undefined) {
    if (TRANSIENT_NODE_CODES.has(f.code)) return 'transient';
    if (isSqlState(f.code)) return TRANSIENT_SQLSTATE.test(f.code) ? 'transient' : 'permanent';
  }
  if (f.names.some((name) => TRANSIENT_ERROR_NAMES.has(name))) return 'transient';
  if (f.messages.some((m) => TRANSIENT_MESSAGES.some((pattern) => pattern.test(m)))) return 'transient';
  return 'permanent';
}

/** A LoadError whose message names the unit, the class, the SQLSTATE and the database's message. */
export function toLoadError(error: unknown, unitId: string, attempts = 1): Error {
  if (error instanceof LoadError || error instanceof BadUnitError || error instanceof LakeError) return error;
  const kind = classifyError(error);
  const f = facts(error);
  const detail = f.detail;
  const code = f.code ? ` [${isSqlState(f.code) ? 'SQLSTATE ' : ''}${f.code}]` : '';
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const suffix = detail ? ` (${detail})` : '';
  const message = `load of ${unitId} failed (${kind}${tries})${code}: ${f.message}${suffix}`;
  const Class = kind === 'transient' ? TransientLoadError : PermanentLoadError;
  return new Class(message, { cause: error, kind, code: f.code, attempts });
}

export interface RetryOptions {
  /** Total attempts, the first included. */
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stop retrying when the next wait would end after this epoch-ms deadline (Lambda time left). */
  readonly deadline?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `attempt` until it succeeds, retrying transient failures with exponential backoff and full
 * jitter. A tiny loop rather than p-retry: the classification is ours anyway, and the loop must
 * stop at the Lambda's deadline and rebuild the unit per attempt, which p-retry would not save.
 */
export async function withRetry<T>(
  unitId: string,
  attempt: (n: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 3_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const kind = classifyError(error);
      const delay = Math.round(random() * Math.min(max, base * 2 ** (n - 1)));
      const outOfTime = options.deadline !== undefined && Date.now() + delay >= options.deadline;
      if (kind === 'permanent' || n >= attempts || outOfTime) throw toLoadError(error, unitId, n);
      options.onRetry?.(error, n, delay);
      await sleep(delay);
    }
  }
}
