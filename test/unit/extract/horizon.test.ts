import {
  checkpointOf,
  type HorizonCheckpoint,
  isSettled,
  MAX_CHECKPOINT_TRANSACTIONS,
  settleCheckpoints,
  stillInProgress,
  type TransactionsInProgress,
} from '../../../services/lambdas/extract/horizon.ts';

const START = '2024-05-01 08:00:00.000000';
const seen = (
  transactions: string[],
  preparedTransactions = 0,
  serverStart = START,
): TransactionsInProgress => ({
  transactions,
  preparedTransactions,
  serverStart,
});
const checkpoint = (at: string, transactions: string[], serverStart = START): HorizonCheckpoint => ({
  at,
  transactions,
  serverStart,
});

describe('checkpointOf', () => {
  it('records the reading clock and the transactions in progress then, sorted', () => {
    expect(checkpointOf('2024-05-01 10:00:00.123456', seen(['7/2', '3/40']))).toEqual({
      at: '2024-05-01 10:00:00.123456',
      transactions: ['3/40', '7/2'],
      serverStart: START,
    });
  });
});

describe('isSettled', () => {
  const r = checkpoint('2024-05-01 10:00:00.000000', ['3/40', '7/2']);

  it('settles once every transaction in progress at the reading has ended', () => {
    expect(isSettled(r, seen(['9/1']))).toBe(true);
    expect(isSettled(r, seen([]))).toBe(true);
  });

  it('does not settle while one of them (with or without an xid) is still in progress', () => {
    expect(isSettled(r, seen(['7/2', '9/1']))).toBe(false);
  });

  it('is not fooled by a later transaction of the same backend (virtual ids are per transaction)', () => {
    // Backend 3 ran transaction 40 at the reading; 3/41 is a new transaction, begun after it.
    expect(isSettled(r, seen(['3/41']))).toBe(true);
  });

  it('a reading with nothing else in progress is settled by itself', () => {
    const own = checkpoint('2024-05-01 10:00:00.000000', []);
    expect(isSettled(own, seen([]))).toBe(true);
  });

  it('after a server restart every earlier transaction has ended, even when an id comes back', () => {
    expect(isSettled(r, seen(['3/40'], 0, '2024-05-01 09:30:00.000000'))).toBe(true);
    expect(stillInProgress(r, seen(['3/40'], 0, '2024-05-01 09:30:00.000000'))).toEqual([]);
  });

  it('a pending prepared transaction settles nothing (it holds no virtual id any more)', () => {
    expect(isSettled(checkpoint('2024-05-01 10:00:00.000000', []), seen([], 1))).toBe(false);
  });
});

describe('settleCheckpoints', () => {
  const t1 = '2024-05-01 10:00:00.100900';
  const t2 = '2024-05-01 10:05:00.200000';
  const t3 = '2024-05-01 10:10:00.300000';

  it('bounds by the newest settled checkpoint, floored to the millisecond, and drops it and older ones', () => {
    const result = settleCheckpoints(
      [checkpoint(t2, ['4/9']), checkpoint(t1, ['3/40']), checkpoint(t3, ['4/9', '5/1'])],
      seen(['5/1', '6/6']),
    );
    expect(result).toEqual({ settled: '2024-05-01 10:05:00.200', pending: [checkpoint(t3, ['5/1'])] });
  });

  it('keeps every checkpoint while a transaction open since before the first one is still in progress', () => {
    const result = settleCheckpoints(
      [checkpoint(t1, ['1/1', '2/5']), checkpoint(t2, ['1/1', '3/3']), checkpoint(t3, ['1/1'])],
      seen(['1/1', '7/7']),
    );
    expect(result.settled).toBeNull();
    // Ended transactions are forgotten; only the one still open remains in each.
    expect(result.pending).toEqual([
      checkpoint(t1, ['1/1']),
      checkpoint(t2, ['1/1']),
      checkpoint(t3, ['1/1']),
    ]);
  });

  it('the first run, with nothing stored and nothing else in progress, is settled by its own reading', () => {
    expect(settleCheckpoints([checkpoint(t1, [])], seen([]))).toEqual({
      settled: '2024-05-01 10:00:00.100',
      pending: [],
    });
  });

  it('a transaction that began after the reading does not hold it back', () => {
    expect(settleCheckpoints([checkpoint(t1, ['2/5'])], seen(['8/1'])).settled).toBe(
      '2024-05-01 10:00:00.100',
    );
  });

  it('keeps the newest checkpoints only, beyond the cap (dropping one only delays the watermark)', () => {
    const many = Array.from({ length: 5 }, (_, i) => checkpoint(`2024-05-01 10:0${i}:00.000000`, ['1/1']));
    const result = settleCheckpoints(many, seen(['1/1']), 2);
    expect(result.pending.map((c) => c.at)).toEqual([
      '2024-05-01 10:03:00.000000',
      '2024-05-01 10:04:00.000000',
    ]);
  });

  it('does not keep a checkpoint listing more transactions than an item can hold', () => {
    const crowd = Array.from({ length: MAX_CHECKPOINT_TRANSACTIONS + 1 }, (_, i) => `1/${i}`);
    expect(settleCheckpoints([checkpoint(t1, crowd)], seen(crowd)).pending).toEqual([]);
  });

  it('holds everything while a prepared transaction is pending, and settles once it is resolved', () => {
    const stored = [checkpoint(t1, []), checkpoint(t2, ['3/3'])];
    const held = settleCheckpoints(stored, seen([], 1));
    expect(held.settled).toBeNull();
    expect(held.pending.map((c) => c.at)).toEqual([t1, t2]);
    expect(settleCheckpoints(held.pending, seen([])).settled).toBe('2024-05-01 10:05:00.200');
  });

  it('orders checkpoints by time whatever order they are stored in', () => {
    expect(settleCheckpoints([checkpoint(t3, []), checkpoint(t1, [])], seen([])).settled).toBe(
      '2024-05-01 10:10:00.300',
    );
  });
});
