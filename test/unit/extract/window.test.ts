import {
  commitHorizon,
  floorToMs,
  type HorizonBounds,
  msToTimestamp,
  nextTablePosition,
  nextTail,
  nextWatermark,
  type TablePosition,
  timestampToMs,
  versionKey,
} from '../../../services/lambdas/extract/window.ts';

describe('timestamps', () => {
  it('round-trips the lake format and floors sub-millisecond clocks', () => {
    expect(msToTimestamp(timestampToMs('2024-02-29 23:59:59.999'))).toBe('2024-02-29 23:59:59.999');
    expect(floorToMs('2024-01-01 00:00:00.123999')).toBe('2024-01-01 00:00:00.123');
    expect(floorToMs('2024-01-01 00:00:00')).toBe('2024-01-01 00:00:00.000');
    expect(floorToMs('2024-01-01 00:00:00.5')).toBe('2024-01-01 00:00:00.500');
    expect(() => timestampToMs('2024-01-01T00:00:00Z')).toThrow('not a timestamp');
  });
});

describe('commitHorizon', () => {
  const now = '2024-05-01 10:00:00.000';
  const at = (bounds: Partial<HorizonBounds>, margin = 120_000) =>
    commitHorizon({ now, oldestOpenTransaction: null, settled: now, ...bounds }, margin);

  it('is now minus the safety margin when nothing else bounds it', () => {
    expect(at({ now: '2024-05-01 10:00:00.000500', settled: '2024-05-01 10:00:00.000' })).toEqual({
      horizon: '2024-05-01 09:58:00.000',
      limitedBy: 'safety-margin',
    });
    expect(at({ now: '2024-05-01 10:00:00.123456', settled: '2024-05-01 10:00:00.123' }, 0)).toEqual({
      horizon: '2024-05-01 10:00:00.123',
      limitedBy: 'safety-margin',
    });
  });

  it('is held back to the start of the oldest visible open transaction, floored to the millisecond', () => {
    // A transaction that started at .1234 can stamp .123 (timestamp(3) rounds), so the floor.
    expect(at({ oldestOpenTransaction: '2024-05-01 09:30:00.1234' })).toEqual({
      horizon: '2024-05-01 09:30:00.123',
      limitedBy: 'open-transaction',
    });
  });

  it('is held back to the newest settled reading (the privilege-free bound)', () => {
    expect(at({ settled: '2024-05-01 09:55:00.000' })).toEqual({
      horizon: '2024-05-01 09:55:00.000',
      limitedBy: 'running-transactions',
    });
  });

  it('takes the earliest bound when both the visible sessions and the settled reading apply', () => {
    expect(
      at({ oldestOpenTransaction: '2024-05-01 09:50:00.000', settled: '2024-05-01 09:40:00.000' }),
    ).toMatchObject({ horizon: '2024-05-01 09:40:00.000', limitedBy: 'running-transactions' });
    expect(
      at({ oldestOpenTransaction: '2024-05-01 09:40:00.000', settled: '2024-05-01 09:50:00.000' }),
    ).toMatchObject({ horizon: '2024-05-01 09:40:00.000', limitedBy: 'open-transaction' });
  });

  it('has no horizon while no reading is settled (the watermark stays)', () => {
    expect(at({ settled: null })).toEqual({ horizon: null, limitedBy: 'running-transactions' });
  });

  it('ignores an open transaction younger than the margin', () => {
    expect(at({ oldestOpenTransaction: '2024-05-01 09:59:59.000' }).horizon).toBe('2024-05-01 09:58:00.000');
  });

  it('rejects a negative margin', () => {
    expect(() => at({}, -1)).toThrow(RangeError);
  });
});

describe('nextWatermark', () => {
  it('stays where it is without a horizon (null before the first settled reading)', () => {
    expect(nextWatermark(null, null)).toBeNull();
    expect(nextWatermark('2024-01-01 00:00:00.000', null)).toBe('2024-01-01 00:00:00.000');
  });

  it('starts at the horizon and never moves backwards', () => {
    expect(nextWatermark(null, '2024-01-01 00:00:00.000')).toBe('2024-01-01 00:00:00.000');
    expect(nextWatermark('2024-01-02 00:00:00.000', '2024-01-01 00:00:00.000')).toBe(
      '2024-01-02 00:00:00.000',
    );
    expect(nextWatermark('2024-01-01 00:00:00.000', '2024-01-01 00:00:00.001')).toBe(
      '2024-01-01 00:00:00.001',
    );
  });
});

describe('nextTail', () => {
  const w = '2024-01-01 00:00:01.000';
  it('remembers delivered versions at or after the watermark, from this run and the previous tail', () => {
    const previous = [versionKey(1, '2024-01-01 00:00:00.500'), versionKey(2, '2024-01-01 00:00:01.000')];
    const emitted = [versionKey(3, '2024-01-01 00:00:00.999'), versionKey(4, '2024-01-01 00:00:02.000')];
    expect(nextTail(previous, emitted, w, 10)).toEqual([
      versionKey(2, '2024-01-01 00:00:01.000'),
      versionKey(4, '2024-01-01 00:00:02.000'),
    ]);
  });

  it('keeps two versions sharing one millisecond apart', () => {
    const emitted = [versionKey(7, w), versionKey(8, w)];
    expect(nextTail([], emitted, w, 10)).toEqual([versionKey(7, w), versionKey(8, w)]);
  });

  it('gives up (null) beyond the cap, and a dropped tail stays empty-handed', () => {
    const emitted = [1, 2, 3].map((id) => versionKey(id, w));
    expect(nextTail([], emitted, w, 2)).toBeNull();
    expect(nextTail(null, [], w, 2)).toEqual([]);
  });
});

describe('nextTablePosition (a run that stops at its row budget)', () => {
  const horizon = '2024-05-01 09:58:00.000';
  const previous: TablePosition = {
    watermark: '2024-01-01 00:00:00.000',
    tail: ['2024-01-01 00:00:00.000|7', '2024-06-01 00:00:00.000|9'],
    after: null,
  };
  const position = (p: TablePosition, end: Parameters<typeof nextTablePosition>[3], emitted: string[] = []) =>
    nextTablePosition(p, horizon, emitted, end, 100);

  it('stopped before the horizon: the watermark moves to the last row read, `after` to its id', () => {
    const next = position(previous, { kind: 'stopped', lastUpdated: '2024-03-01 12:00:00.000', id: 42 }, [
      versionKey(41, '2024-03-01 12:00:00.000'),
    ]);
    // Versions at the new watermark are covered by `after`; older tail entries are dropped, newer kept.
    expect(next).toEqual({
      watermark: '2024-03-01 12:00:00.000',
      tail: ['2024-06-01 00:00:00.000|9'],
      after: 42,
    });
  });

  it('stopped again in the same millisecond: `after` moves on, the watermark stays', () => {
    const first = position(previous, { kind: 'stopped', lastUpdated: '2024-03-01 12:00:00.000', id: 42 })!;
    expect(position(first, { kind: 'stopped', lastUpdated: '2024-03-01 12:00:00.000', id: 90 })).toEqual({
      ...first,
      after: 90,
    });
  });

  it('stopped at or after the horizon: as a complete read (the unread rows sort after the horizon)', () => {
    const emitted = [versionKey(5, '2024-05-01 09:59:00.000')];
    const stopped = position(previous, { kind: 'stopped', lastUpdated: horizon, id: 5 }, emitted);
    expect(stopped).toEqual(position(previous, { kind: 'complete' }, emitted));
    expect(stopped).toEqual({
      watermark: horizon,
      tail: ['2024-05-01 09:59:00.000|5', '2024-06-01 00:00:00.000|9'],
      after: null,
    });
  });

  it('complete after a stop: the watermark moves to the horizon and `after` is dropped', () => {
    const stoppedAt = { watermark: '2024-03-01 12:00:00.000', tail: [], after: 42 };
    expect(position(stoppedAt, { kind: 'complete' })).toEqual({ watermark: horizon, tail: [], after: null });
  });

  it('complete without a horizon keeps the watermark and its `after`', () => {
    const stoppedAt = { watermark: '2024-03-01 12:00:00.000', tail: [], after: 42 };
    expect(nextTablePosition(stoppedAt, null, [], { kind: 'complete' }, 100)).toEqual(stoppedAt);
  });

  it('unread: unchanged; no safe watermark yet: null (the next run reads everything again)', () => {
    expect(position(previous, { kind: 'unread' })).toBe(previous);
    const first: TablePosition = { watermark: null, tail: [], after: null };
    expect(position(first, { kind: 'unread' })).toBeNull();
    expect(
      nextTablePosition(
        first,
        null,
        [],
        { kind: 'stopped', lastUpdated: '2024-03-01 12:00:00.000', id: 1 },
        100,
      ),
    ).toBeNull();
  });

  it('a first run that stops before the horizon gets a watermark at once', () => {
    const first: TablePosition = { watermark: null, tail: [], after: null };
    expect(position(first, { kind: 'stopped', lastUpdated: '2023-01-01 00:00:00.000', id: 3 })).toEqual({
      watermark: '2023-01-01 00:00:00.000',
      tail: [],
      after: 3,
    });
  });
});
