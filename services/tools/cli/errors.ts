import { ConfigurationError } from '../../../shared/config/env.ts';
import { isConnectionFailure } from '../../../shared/db/errors.ts';
import { MissingDatabaseUrlError } from '../local-runtime/runtime-file.ts';
import { StateFolderInUseError, StateFolderLockError } from '../local-runtime/state-lock.ts';
import { awsErrorLine } from '../ops/aws-errors.ts';

/**
 * Errors meaning "could not run" (exit 2): the state folder in use, an AWS call refused (one line
 * naming the call and the service's message, ../ops/aws-errors.ts).
 */
export function couldNotRun(error: unknown): error is Error {
  return (
    error instanceof StateFolderInUseError ||
    error instanceof StateFolderLockError ||
    error instanceof MissingDatabaseUrlError ||
    awsErrorLine(error) !== undefined
  );
}

/**
 * The exit codes of every `totes` command (README "Conventions"). Scripts tell "the check ran and
 * found something" (1) from "the check could not run" (2).
 */
export const EXIT = {
  /** Success: nothing to report. */
  ok: 0,
  /** A problem was found: an alarm in ALARM, a reconcile mismatch, a failed run or check. */
  problemFound: 1,
  /** A usage error, or the command could not run (unreachable, misconfigured, state folder busy). */
  cannotRun: 2,
  /** A bug: an unexpected error, printed with its stack (sysexits EX_SOFTWARE). */
  bug: 70,
} as const;

/**
 * An expected failure: main.ts prints its message as one line on stderr and exits with
 * `exitCode`, without a stack trace. Prefer the two subclasses that say which kind it is:
 * ProblemFoundError (exit 1) and CannotRunError / UsageError (exit 2).
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The command ran and found a problem (an alarm, a mismatch, failed records). Exit code 1. */
export class ProblemFoundError extends CliError {
  override name = 'ProblemFoundError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: EXIT.problemFound });
  }
}

/** The command could not do its job (unreachable, refused, busy, misconfigured). Exit code 2. */
export class CannotRunError extends CliError {
  override name = 'CannotRunError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: EXIT.cannotRun });
  }
}

/** The command line itself is wrong (a bad or missing option value). Exit code 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, { exitCode: EXIT.cannotRun });
  }
}

/**
 * Errors other modules throw that mean "could not run, and the message says why": matched by
 * name, so the CLI does not import (and pin) the modules that define them. The local runtime's
 * state-folder claims are here: a second start on a busy folder is expected, not a bug.
 */
const CANNOT_RUN_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ConfigurationError',
  'MigrationChecksumError',
  'RuntimeBusyError',
  'StateDirInUseError',
  'StateDirLockedError',
  'StateDirBusyError',
]);

/** Network error codes that mean "the server is not there or not answering". */
const UNREACHABLE_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
};

/** PostgreSQL SQLSTATE codes a user can fix from the command line. */
const POSTGRES_CODES: Readonly<Record<string, string>> = {
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'database does not exist',
  '53300': 'too many connections',
  '57P03': 'server is starting up or shutting down',
};

function* causeChain(error: unknown): Generator<Record<string, unknown>> {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth += 1) {
    yield current as Record<string, unknown>;
    const record = current as { cause?: unknown; errors?: unknown };
    // AggregateError (happy-eyeballs connects to ::1 and 127.0.0.1) keeps its parts in `errors`.
    current = record.cause ?? (Array.isArray(record.errors) ? record.errors[0] : undefined);
  }
}

/**
 * The one-line message for an expected error, or undefined when the error is a bug (then main.ts
 * prints the stack). Database connection problems are recognised by their error codes anywhere in
 * the cause chain.
 */
export function expectedErrorMessage(error: unknown): string | undefined {
  if (error instanceof CliError) return error.message;
  if (error instanceof ConfigurationError) return error.message;
  if (couldNotRun(error)) return awsErrorLine(error) ?? error.message;
  if (error instanceof Error && CANNOT_RUN_ERROR_NAMES.has(error.name)) return error.message;
  for (const part of causeChain(error)) {
    const code = typeof part.code === 'string' ? part.code : undefined;
    if (code && code in UNREACHABLE_CODES) {
      return `cannot reach the database: ${UNREACHABLE_CODES[code]} (${String(part.message ?? code)})`;
    }
    if (code && code in POSTGRES_CODES) {
      return `database error: ${POSTGRES_CODES[code]} (${String(part.message ?? code)})`;
    }
  }
  // The driver's own connection failures without a network code (pg's `timeout expired`, slonik's
  // ConnectionError, a backend terminated under a query): the server stopped answering.
  if (isConnectionFailure(error)) {
    const chain = [...causeChain(error)];
    // shared/db's DatabaseUnreachableError already says it in one line (which server, why).
    const named = chain.find((part) => part.name === 'DatabaseUnreachableError');
    if (named) return String(named.message);
    const messages = chain.map((part) => String(part.message ?? '')).filter(Boolean);
    return `cannot reach the database: ${[...new Set(messages)].join(': ')}`;
  }
  return undefined;
}

/**
 * The exit code of an error main.ts caught: a CliError's own, 2 for every other expected error
 * (they all mean "could not run"), 70 for a bug.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  return expectedErrorMessage(error) === undefined ? EXIT.bug : EXIT.cannotRun;
}

/**
 * Wraps a database step so a connection failure names which database it was (without its
 * password). Other errors pass through unchanged.
 */
export async function describingDatabase<T>(label: string, url: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = expectedErrorMessage(error);
    if (message === undefined) throw error;
    throw new CannotRunError(`${label} (${redactUrl(url)}): ${message}`, { cause: error });
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
