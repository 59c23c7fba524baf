import { keysetPages, mergeById } from '../../../services/tools/ops/reconcile/merge.ts';
import { blockRanges } from '../../../services/tools/ops/reconcile/reconcile.ts';
import {
  canonicalDecimal,
  currencyName,
  dateAttributes,
  splitTimestamp,
  valuesEqual,
} from '../../../services/tools/ops/reconcile/values.ts';

describe('dateAttributes (spec §3)', () => {
  it.each([
    ['2024-03-04', { day_of_week: 1, day_name: 'Monday', month_name: 'March', quarter: 1 }],
    ['2024-03-03', { day_of_week: 7, day_name: 'Sunday', month_name: 'March', quarter: 1 }],
    ['2024-02-29', { day_of_week: 4, day_name: 'Thursday', month_name: 'February', quarter: 1 }],
    ['2022-11-03', { day_of_week: 4, day_name: 'Thursday', month_name: 'November', quarter: 4 }],
    ['2023-04-01', { day_of_week: 6, day_name: 'Saturday', month_name: 'April', quarter: 2 }],
    ['2025-09-30', { day_of_week: 2, day_name: 'Tuesday', month_name: 'September', quarter: 3 }],
    ['2026-01-01', { day_of_week: 4, day_name: 'Thursday', month_name: 'January', quarter: 1 }],
  ])('%s', (date, expected) => {
    const [year, month, day] = date.split('-').map(Number);
    expect(dateAttributes(date)).toEqual({ year, month, day, ...expected });
  });

  it('rejects what is not a calendar date', () => {
    expect(() => dateAttributes('2023-02-29')).toThrow(/not a calendar date/);
    expect(() => dateAttributes('2024-3-4')).toThrow(/not a YYYY-MM-DD date/);
    expect(() => dateAttributes('2024-03-04 00:00:00')).toThrow(/not a YYYY-MM-DD date/);
  });

  it('gives every day of a leap year a distinct, consistent weekday', () => {
    let previous = dateAttributes('2023-12-31').day_of_week;
    for (
      let d = new Date(Date.UTC(2024, 0, 1));
      d.getUTCFullYear() === 2024;
      d.setUTCDate(d.getUTCDate() + 1)
    ) {
      const attributes = dateAttributes(d.toISOString().slice(0, 10));
      expect(attributes.day_of_week).toBe((previous % 7) + 1);
      previous = attributes.day_of_week;
    }
  });
});

describe('canonicalDecimal and valuesEqual', () => {
  it.each([
    ['2.50', '2.5'],
    ['2.5', '2.5'],
    ['3', '3'],
    ['3.00', '3'],
    ['007.10', '7.1'],
    ['0.00', '0'],
    ['-0.00', '0'],
    ['-12.340', '-12.34'],
    ['.5', '0.5'],
    ['134075.69', '134075.69'],
    ['NaN', 'NaN'],
  ])('%s → %s', (input, output) => {
    expect(canonicalDecimal(input)).toBe(output);
  });

  it('compares numerics by value and everything else exactly', () => {
    expect(valuesEqual('numeric', '2.58', '2.580')).toBe(true);
    expect(valuesEqual('numeric', '2.58', '2.57')).toBe(false);
    expect(valuesEqual('numeric', '0.1', '0.10000000000000001')).toBe(false);
    expect(valuesEqual('text', '01234', '1234')).toBe(false);
    expect(valuesEqual('text', null, '')).toBe(false);
    expect(valuesEqual('text', null, null)).toBe(true);
    expect(valuesEqual('numeric', null, '0')).toBe(false);
  });
});

describe('currencyName', () => {
  it('is the English CLDR display name, null when there is none', () => {
    expect(currencyName('GBP')).toBe('British Pound');
    expect(currencyName('USD')).toBe('US Dollar');
    expect(currencyName('EUR')).toBe('Euro');
    expect(currencyName('XQZ')).toBeNull();
    expect(currencyName('')).toBeNull();
  });
});

describe('splitTimestamp', () => {
  it('splits into date and time(3), padding the fraction', () => {
    expect(splitTimestamp('2024-03-01 09:30:00.5')).toEqual({ date: '2024-03-01', time: '09:30:00.500' });
    expect(splitTimestamp('2024-03-01T00:00:00')).toEqual({ date: '2024-03-01', time: '00:00:00.000' });
    expect(splitTimestamp('2024-02-29 23:59:59.999')).toEqual({ date: '2024-02-29', time: '23:59:59.999' });
  });

  it('rejects anything else, including more than milliseconds', () => {
    expect(() => splitTimestamp('2024-03-01')).toThrow(/not a timestamp/);
    expect(() => splitTimestamp('2024-03-01 09:30:00.1234')).toThrow(/not a timestamp/);
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* pages<T>(...list: (readonly T[])[]): AsyncGenerator<readonly T[]> {
  yield* list;
}

const ids = (...list: number[]) => list.map((id) => ({ id }));

describe('keysetPages and mergeById', () => {
  it('pages by the last id seen until a short page', async () => {
    const rows = ids(1, 2, 3, 5, 8);
    const calls: (number | null)[] = [];
    const fetch = async (after: number | null) => {
      calls.push(after);
      return rows.filter((r) => after === null || r.id > after).slice(0, 2);
    };
    expect((await collect(keysetPages(fetch, 2))).map((page) => page.map((r) => r.id))).toEqual([
      [1, 2],
      [3, 5],
      [8],
    ]);
    expect(calls).toEqual([null, 2, 5]);
  });

  it('refuses a page that is not ordered by id', async () => {
    await expect(collect(keysetPages(async () => ids(2, 1), 10))).rejects.toThrow(/not strictly ordered/);
  });

  it('joins two sorted streams across page boundaries, keeping ids found on one side only', async () => {
    const seen: [number, boolean, boolean][] = [];
    await mergeById(pages(ids(1, 2), ids(4)), pages(ids(2), ids(3, 4, 9)), (id, left, right) => {
      seen.push([id, left !== undefined, right !== undefined]);
    });
    expect(seen).toEqual([
      [1, true, false],
      [2, true, true],
      [3, false, true],
      [4, true, true],
      [9, false, true],
    ]);
  });

  it('awaits a visit that returns a promise before moving on', async () => {
    const order: string[] = [];
    await mergeById(pages(ids(1, 2)), pages(ids(1, 2)), async (id) => {
      order.push(`start ${id}`);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`end ${id}`);
    });
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('handles empty streams and refuses an unordered one', async () => {
    let visits = 0;
    await mergeById(pages<{ id: number }>(), pages<{ id: number }>(), () => {
      visits += 1;
    });
    expect(visits).toBe(0);
    await expect(mergeById(pages(ids(3), ids(2)), pages<{ id: number }>(), () => {})).rejects.toThrow(
      /not strictly ordered/,
    );
  });
});

describe('blockRanges', () => {
  it('coalesces consecutive dirty blocks into id ranges', () => {
    expect(blockRanges([5, 0, 1, 3, 1], 1000)).toEqual([
      { from: 0, to: 2000 },
      { from: 3000, to: 4000 },
      { from: 5000, to: 6000 },
    ]);
    expect(blockRanges([], 1000)).toEqual([]);
  });
});
