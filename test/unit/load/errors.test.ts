import {
  BadUnitError,
  classifyError,
  PermanentLoadError,
  TransientLoadError,
  toLoadError,
  withRetry,
} from '../../../services/lambdas/load/errors.ts';
import { MissingObjectError } from '../../../shared/lake/errors.ts';

/** The shape pg gives a server error, wrapped the way slonik wraps it. */
function pgError(code: string, message: string, wrapperName = 'SlonikError'): Error {
  const cause = Object.assign(new Error(message), {
    code,
    severity: 'ERROR',
    detail: 'Failing row contains (1).',
  });
  const wrapper = new Error(`wrapped: ${message}`, { cause });
  wrapper.name = wrapperName;
  return wrapper;
}

function nodeError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('classifyError', () => {
  it.each([
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['53300', 'sorry, too many clients already'],
    ['08006', 'connection failure'],
    ['57014', 'canceling statement due to statement timeout'],
    ['55P03', 'could not obtain lock on row'],
  ])('SQLSTATE %s is transient', (code, message) => {
    expect(classifyError(pgError(code, message))).toBe('transient');
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint "dim_staff_pkey"'],
    ['23514', 'new row for relation "fact_payment" violates check constraint "x"'],
    ['23503', 'insert or update on table "fact_payment" violates foreign key constraint'],
    ['23502', 'null value in column "paid" violates not-null constraint'],
    ['22P02', 'invalid input syntax for type integer: "x"'],
    ['22003', 'numeric field overflow'],
    ['42P01', 'relation "dim_staff" does not exist'],
    ['42703', 'column "x" does not exist'],
    ['XX000', 'internal error'],
  ])('SQLSTATE %s is permanent', (code, message) => {
    expect(classifyError(pgError(code, message))).toBe('permanent');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN'])(
    'socket error %s is transient, directly or as a cause',
    (code) => {
      expect(classifyError(nodeError(code))).toBe('transient');
      const wrapped = new Error('Failed to connect', { cause: nodeError(code) });
      wrapped.name = 'ConnectionError';
      expect(classifyError(wrapped)).toBe('transient');
    },
  );

  it('lost connections reported only by slonik error class or pg message are transient', () => {
    const terminated = new Error('backend terminated');
    terminated.name = 'BackendTerminatedError';
    expect(classifyError(terminated)).toBe('transient');
    expect(classifyError(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyError(new Error('timeout exceeded when trying to connect'))).toBe('transient');
  });

  it('sees through ERR_UNHANDLED_ERROR (slonik emitting on a pool without an error listener)', () => {
    const real = pgError('40P01', 'deadlock detected');
    const unhandled = Object.assign(new Error('Unhandled error. (...)'), {
      code: 'ERR_UNHANDLED_ERROR',
      context: real,
    });
    expect(classifyError(unhandled)).toBe('transient');
    expect(toLoadError(unhandled, 'u').message).toBe(
      'load of u failed (transient) [SQLSTATE 40P01]: deadlock detected (Failing row contains (1).)',
    );
  });

  it('bad units, missing objects and programming errors are permanent', () => {
    expect(classifyError(new BadUnitError('x'))).toBe('permanent');
    expect(classifyError(new MissingObjectError('x'))).toBe('permanent');
    expect(classifyError(new TypeError('x is not a function'))).toBe('permanent');
  });
});

describe('toLoadError', () => {
  it('carries the unit, the kind, the SQLSTATE and the database message and detail', () => {
    const error = toLoadError(
      pgError('23514', 'new row for relation "fact_payment" violates check constraint "paid_ok"'),
      'units/2024/manifest.json',
    );
    expect(error).toBeInstanceOf(PermanentLoadError);
    expect(error.name).toBe('PermanentLoadError');
    expect(error.message).toBe(
      'load of units/2024/manifest.json failed (permanent) [SQLSTATE 23514]: new row for relation "fact_payment" violates check constraint "paid_ok" (Failing row contains (1).)',
    );
    expect((error as PermanentLoadError).code).toBe('23514');
    expect(error.cause).toBeDefined();
  });

  it('names the socket error code for connection failures', () => {
    const error = toLoadError(nodeError('ECONNREFUSED'), 'u', 4);
    expect(error).toBeInstanceOf(TransientLoadError);
    expect(error.message).toBe(
      'load of u failed (transient after 4 attempts) [ECONNREFUSED]: connect ECONNREFUSED 127.0.0.1:5432',
    );
  });

  it('leaves bad-unit and missing-object errors as they are', () => {
    const missing = new MissingObjectError('gone');
    expect(toLoadError(missing, 'u')).toBe(missing);
  });
});

describe('withRetry', () => {
  const noSleep = { sleep: async () => {}, random: () => 1 };

  it('retries transient failures with growing delays, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      'u',
      async () => {
        calls++;
        if (calls < 3) throw pgError('40001', 'could not serialize access');
        return 'done';
      },
      { ...noSleep, baseDelayMs: 100, onRetry: (_e, _n, delay) => delays.push(delay) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it('applies full jitter below the capped exponential delay', async () => {
    const delays: number[] = [];
    await expect(
      withRetry(
        'u',
        async () => {
          throw pgError('40P01', 'deadlock detected');
        },
        {
          attempts: 6,
          baseDelayMs: 100,
          maxDelayMs: 500,
          sleep: async () => {},
          random: () => 0.5,
          onRetry: (_e, _n, d) => delays.push(d),
        },
      ),
    ).rejects.toBeInstanceOf(TransientLoadError);
    expect(delays).toEqual([50, 100, 200, 250, 250]);
  });

  it('gives up after the last attempt with the database message', async () => {
    let calls = 0;
    const failure = await withRetry(
      'unit-1',
      async () => {
        calls++;
        throw pgError('53300', 'sorry, too many clients already');
      },
      { ...noSleep, attempts: 3 },
    ).catch((e: unknown) => e as Error);
    expect(calls).toBe(3);
    expect(failure).toBeInstanceOf(TransientLoadError);
    expect(failure.message).toMatch(
      /^load of unit-1 failed \(transient after 3 attempts\) \[SQLSTATE 53300\]: sorry, too many clients already/,
    );
  });

  it('fails a permanent error at once', async () => {
    let calls = 0;
    await expect(
      withRetry(
        'u',
        async () => {
          calls++;
          throw pgError('23505', 'duplicate key value violates unique constraint "x"');
        },
        noSleep,
      ),
    ).rejects.toThrow(/\(permanent\) \[SQLSTATE 23505\]: duplicate key value/);
    expect(calls).toBe(1);
  });

  it('stops retrying when the next wait would pass the deadline', async () => {
    let calls = 0;
    await expect(
      withRetry(
        'u',
        async () => {
          calls++;
          throw nodeError('ECONNRESET');
        },
        { ...noSleep, baseDelayMs: 1_000, deadline: Date.now() + 500 },
      ),
    ).rejects.toBeInstanceOf(TransientLoadError);
    expect(calls).toBe(1);
  });
});
