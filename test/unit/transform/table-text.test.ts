/**
 * The one-pass reader of a table object's text (services/lambdas/transform/table-text.ts) behind
 * readTableObject: it reads what the extract writes, and for any other text it leaves the answer to
 * the general way (JSON.parse + validateTableObject), so readTableObject's result, error or held
 * rows are exactly the general way's for every text.
 */
import { describe, expect, test } from '@jest/globals';
import { readTableText } from '../../../services/lambdas/transform/table-text.ts';
import {
  parseJson,
  readTableObject,
  validateTableObject,
} from '../../../services/lambdas/transform/validate.ts';
import { INGESTION_TABLE_FORMAT, type SourceValue } from '../../../shared/lake/index.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { row } from './fixtures.ts';

const runId = '20221103T142049962Z-abcd';
const prefix = 'units/2022/11/03/20221103T142049962Z-abcd/';
const entryOf = (table: SourceTableName, rows: number) => ({
  table,
  key: `${prefix}${table}.0001.json`,
  part: 1,
  rows,
});
const columnsOf = (table: SourceTableName) =>
  SOURCE_TABLES[table].columns.map((c) => ({ name: c.name, type: c.type }));

/** The text of a table object as the extract writes it (services/lambdas/extract/unit-writer.ts). */
const written = (table: SourceTableName, rows: readonly (readonly unknown[])[]) =>
  JSON.stringify({ format: INGESTION_TABLE_FORMAT, runId, table, part: 1, columns: columnsOf(table), rows });

/** What the general way makes of `text`: the rows, or the error, and the rows it held. */
function general(text: string, entry: ReturnType<typeof entryOf>) {
  const held: unknown[] = [];
  try {
    const result = validateTableObject(parseJson(text, `table object ${entry.key}`), entry, runId, (r, e) =>
      held.push([r, e.message]),
    );
    return { result, held };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}`, held };
  }
}

function viaReadTableObject(text: string, entry: ReturnType<typeof entryOf>) {
  const held: unknown[] = [];
  try {
    const result = readTableObject(text, entry, runId, (r, e) => held.push([r, e.message]));
    return { result, held };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}`, held };
  }
}

/** Whether the one-pass reader answered (rather than leaving `text` to the general way). */
const readInOnePass = (text: string, table: SourceTableName, rows: number) =>
  readTableText(text, rows, () => SOURCE_TABLES[table].columns) !== undefined;

const T1 = '2022-11-04 09:15:00.001';

describe('readTableObject', () => {
  test.each(SOURCE_TABLE_NAMES)(
    '%s as the extract writes it is read in one pass, as the general way reads it',
    (table) => {
      const rows = [
        row(table, { [SOURCE_TABLES[table].primaryKey]: 1 }),
        row(table, { [SOURCE_TABLES[table].primaryKey]: 2_147_483_647, last_updated: T1 }),
        row(table, { [SOURCE_TABLES[table].primaryKey]: 3, created_at: T1 }),
      ];
      const text = written(table, rows);
      expect(readInOnePass(text, table, rows.length)).toBe(true);
      const entry = entryOf(table, rows.length);
      expect(viaReadTableObject(text, entry)).toEqual(general(text, entry));
      expect(readTableObject(text, entry, runId).rows).toEqual(rows);
    },
  );

  test('an empty part, and long and escaped strings, are read in one pass exactly', () => {
    expect(readInOnePass(written('currency', []), 'currency', 0)).toBe(true);
    const names = ['O"Brien \\ sons', 'a much longer name than thirteen', 'tab\there'];
    const rows = names.map((name, i) => row('department', { department_id: i + 1, department_name: name }));
    const text = written('department', rows);
    expect(readInOnePass(text, 'department', rows.length)).toBe(true);
    expect(readTableObject(text, entryOf('department', rows.length), runId).rows).toEqual(rows);
  });

  test('a text with a character outside ASCII goes the general way, with the same rows', () => {
    const names = ['Zoë Ångström', 'Łódź', '€'];
    const rows = names.map((name, i) => row('department', { department_id: i + 1, department_name: name }));
    const text = written('department', rows);
    expect(readInOnePass(text, 'department', rows.length)).toBe(false);
    const entry = entryOf('department', rows.length);
    expect(viaReadTableObject(text, entry)).toEqual(general(text, entry));
    expect(readTableObject(text, entry, runId).rows).toEqual(rows);
  });

  const currency = (values: Record<string, SourceValue | unknown>) =>
    written('currency', [row('currency', { currency_id: 1, ...(values as Record<string, SourceValue>) })]);
  const good = currency({});
  const payment = written('payment', [row('payment', { payment_id: 1 })]);

  /** Texts the one-pass reader leaves to the general way: [label, table, text, rows in the manifest]. */
  const OTHER_TEXTS: readonly [string, SourceTableName, string, number][] = [
    ['whitespace', 'currency', JSON.stringify(JSON.parse(good), null, 1), 1],
    ['trailing whitespace', 'currency', `${good} `, 1],
    ['trailing garbage', 'currency', `${good}x`, 1],
    ['truncated', 'currency', good.slice(0, -3), 1],
    ['rows before columns', 'currency', good.replace(/^\{/, '{"rows":[],'), 1],
    ['a key after rows', 'currency', good.replace(/\}$/, ',"extra":1}'), 1],
    ['rows twice', 'currency', good.replace(/\}$/, ',"rows":[]}'), 1],
    ['a duplicate key', 'currency', good.replace('"part":1', '"part":2,"part":1'), 1],
    ['a __proto__ key', 'currency', good.replace('{', '{"__proto__":{"part":2},'), 1],
    ['no rows', 'currency', good.replace(/,"rows":.*\}$/, '}'), 1],
    ['columns in another order', 'currency', currencyReordered(), 1],
    ['a row count other than the manifest', 'currency', good, 2],
    ['a short row', 'currency', good.replace(',"GBP"', ''), 1],
    ['a long row', 'currency', good.replace(',"GBP"', ',"GBP",1'), 1],
    ['-0', 'currency', currency({ currency_id: 0 }).replace('[[0', '[[-0'), 1],
    ['1.0', 'currency', good.replace('[[1', '[[1.0'), 1],
    ['1e0', 'currency', good.replace('[[1', '[[1e0'), 1],
    ['a leading zero', 'currency', good.replace('[[1', '[[01'), 1],
    ['beyond int32', 'currency', good.replace('[[1', '[[2147483648'), 1],
    ['below int32', 'currency', good.replace('[[1', '[[-2147483649'), 1],
    ['twelve digits', 'currency', good.replace('[[1', '[[100000000000'), 1],
    ['an int as a string', 'currency', currency({ currency_id: '1' }), 1],
    ['null in NOT NULL', 'currency', currency({ currency_code: null }), 1],
    ['varchar(3) too long', 'currency', currency({ currency_code: 'GBPX' }), 1],
    ['a control character', 'currency', good.replace('"GBP"', '"G\u0001P"'), 1],
    ['a character outside Latin-1', 'currency', currency({ currency_code: '€' }), 1],
    ['a bad escape', 'currency', good.replace('"GBP"', '"G\\xP"'), 1],
    ['a timestamp on no day', 'currency', currency({ created_at: '2023-02-29 10:00:00.000' }), 1],
    ['a timestamp outside the day', 'currency', currency({ last_updated: '2022-11-03 24:00:00.000' }), 1],
    ['a timestamp with a T', 'currency', currency({ last_updated: '2022-11-03T14:20:49.962' }), 1],
    ['a timestamp escaped', 'currency', good.replace('"2022-11-03', '"\\u0032022-11-03'), 1],
    ['a short timestamp', 'currency', currency({ created_at: '2022-11-03 14:20:49' }), 1],
    ['a decimal as a number', 'payment', payment.replace('"2570.00"', '2570.00'), 1],
    ['a decimal with a plus', 'payment', payment.replace('"2570.00"', '"+2570.00"'), 1],
    ['a decimal escaped', 'payment', payment.replace('"2570.00"', '"\\u00320.5"'), 1],
    ['a boolean as a string', 'payment', payment.replace('false', '"false"'), 1],
    ['a boolean misspelt', 'payment', payment.replace('false', 'fals'), 1],
    ['null where a boolean belongs', 'payment', payment.replace('false', 'null'), 1],
  ];

  function currencyReordered(): string {
    const object = JSON.parse(good);
    object.columns.reverse();
    object.rows = object.rows.map((r: unknown[]) => [...r].reverse());
    return JSON.stringify(object);
  }

  test.each(OTHER_TEXTS)(
    '%s: left to the general way, whose result or error stands',
    (_label, table, text, rows) => {
      expect(readInOnePass(text, table, rows)).toBe(false);
      const entry = entryOf(table, rows);
      expect(viaReadTableObject(text, entry)).toEqual(general(text, entry));
    },
  );

  test('an escaped varchar (a lone surrogate is written escaped) is read in one pass exactly', () => {
    for (const text of [good.replace('"GBP"', '"\\u0047BP"'), currency({ currency_code: '\ud800' })]) {
      expect(readInOnePass(text, 'currency', 1)).toBe(true);
      expect(viaReadTableObject(text, entryOf('currency', 1))).toEqual(general(text, entryOf('currency', 1)));
    }
    expect(
      readTableObject(currency({ currency_code: '\ud800' }), entryOf('currency', 1), runId).rows[0]![1],
    ).toBe('\ud800');
  });

  test('an envelope the manifest disagrees with: the general way words it', () => {
    const text = good.replace(runId, '20221103T142049962Z-other');
    const entry = entryOf('currency', 1);
    expect(viaReadTableObject(text, entry)).toEqual(general(text, entry));
    expect(viaReadTableObject(text, entry).error).toMatch(/BadTableObjectError: .*runId/);
  });

  test('a shorter text read after a longer one ends where it ends (the byte buffer is reused)', () => {
    const long = written('payment', [row('payment', { payment_id: 1 }), row('payment', { payment_id: 2 })]);
    expect(readInOnePass(long, 'payment', 2)).toBe(true);
    const truncated = long.slice(0, long.indexOf('],[') + 1); // the first row, then the text ends
    expect(readInOnePass(truncated, 'payment', 1)).toBe(false);
    expect(readInOnePass(`${truncated}]}`, 'payment', 1)).toBe(true);
  });

  test('a bad value among good ones: the row is held by the general way, with its message', () => {
    const rows = [
      row('currency', { currency_id: 1 }),
      row('currency', { currency_id: 2, currency_code: 'EURO' }),
      row('currency', { currency_id: 3 }),
    ];
    const text = written('currency', rows);
    const entry = entryOf('currency', 3);
    const outcome = viaReadTableObject(text, entry);
    expect(outcome).toEqual(general(text, entry));
    expect(outcome.result?.rows).toEqual([rows[0], rows[2]]);
    expect(outcome.held).toHaveLength(1);
  });

  test('big and nullable values: nulls where allowed, large decimals, negative ints', () => {
    const rows = [
      row('transaction', { transaction_id: 1, sales_order_id: null, purchase_order_id: 7 }),
      row('transaction', { transaction_id: 2, sales_order_id: 0, purchase_order_id: null }),
    ];
    const big = [
      row('payment', {
        payment_id: 1,
        payment_amount: '-12345678901234567890.125',
        company_ac_number: -2_147_483_648,
      }),
    ];
    for (const [table, r] of [
      ['transaction', rows],
      ['payment', big],
    ] as const) {
      const text = written(table, r);
      expect(readInOnePass(text, table, r.length)).toBe(true);
      expect(readTableObject(text, entryOf(table, r.length), runId).rows).toEqual(r);
    }
  });
});
