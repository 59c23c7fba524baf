import {
  commitHorizon,
  floorToMs,
  msToTimestamp,
  nextTail,
  nextWatermark,
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
  it('is now minus the safety margin when no other transaction is open', () => {
    expect(commitHorizon({ now: '2024-05-01 10:00:00.000500', oldestOpenTransaction: null }, 120_000)).toBe(
      '2024-05-01 09:58:00.000',
    );
    expect(commitHorizon({ now: '2024-05-01 10:00:00.123456', oldestOpenTransaction: null }, 0)).toBe(
      '2024-05-01 10:00:00.123',
    );
  });

  it('is held back to the start of the oldest open transaction, floored to the millisecond', () => {
    // A transaction that started at .1234 can stamp .123 (timestamp(3) rounds), so the floor.
    expect(
      commitHorizon(
        { now: '2024-05-01 10:00:00.000', oldestOpenTransaction: '2024-05-01 09:30:00.1234' },
        120_000,
      ),
    ).toBe('2024-05-01 09:30:00.123');
  });

  it('ignores an open transaction younger than the margin', () => {
    expect(
      commitHorizon(
        { now: '2024-05-01 10:00:00.000', oldestOpenTransaction: '2024-05-01 09:59:59.000' },
        120_000,
      ),
    ).toBe('2024-05-01 09:58:00.000');
  });

  it('rejects a negative margin', () => {
    expect(() => commitHorizon({ now: '2024-05-01 10:00:00.000', oldestOpenTransaction: null }, -1)).toThrow(
      RangeError,
    );
  });
});

describe('nextWatermark', () => {
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
