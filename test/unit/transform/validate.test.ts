import { describe, expect, test } from '@jest/globals';
import {
  BadManifestError,
  BadTableObjectError,
  MalformedJsonError,
  MissingColumnError,
  UnknownColumnError,
  UnknownTableError,
  WrongValueTypeError,
} from '../../../services/lambdas/transform/errors.ts';
import {
  parseJson,
  validateManifest,
  validateTableObject,
} from '../../../services/lambdas/transform/validate.ts';
import { INGESTION_MANIFEST_FORMAT, INGESTION_TABLE_FORMAT } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES } from '../../../shared/schema/totesys.ts';
import { row } from './fixtures.ts';

const runId = '20221103T142049962Z-abcd';
const prefix = 'units/2022/11/03/20221103T142049962Z-abcd/';
const entry = { table: 'currency' as const, key: `${prefix}currency.0001.json`, part: 1, rows: 1 };
const columns = SOURCE_TABLES.currency.columns.map((c) => ({ name: c.name, type: c.type }));
const object = (overrides: Record<string, unknown> = {}) => ({
  format: INGESTION_TABLE_FORMAT,
  runId,
  table: 'currency',
  part: 1,
  columns,
  rows: [row('currency', { currency_id: 1 })],
  ...overrides,
});
const manifest = (overrides: Record<string, unknown> = {}) => ({
  format: INGESTION_MANIFEST_FORMAT,
  runId,
  extractedAt: '2022-11-03 14:20:50.000',
  windows: {},
  changedRows: { currency: 1 },
  objects: [entry],
  ...overrides,
});

describe('validateTableObject', () => {
  test('a good object comes back in canonical column order, whatever order its columns are in', () => {
    const reversed = [...columns].reverse();
    const rows = [[...row('currency', { currency_id: 1 })].reverse()];
    expect(validateTableObject(object({ columns: reversed, rows }), entry, runId).rows).toEqual([
      row('currency', { currency_id: 1 }),
    ]);
  });

  test.each([
    ['unknown table', { table: 'currencies' }, UnknownTableError, /unknown source table "currencies"/],
    ['another table than the manifest says', { table: 'design' }, BadTableObjectError, /holds table design/],
    ['wrong format', { format: 'v0' }, BadTableObjectError, /format/],
    ['another run', { runId: 'x' }, BadTableObjectError, /runId/],
    [
      'an extra column',
      { columns: [...columns, { name: 'currency_name', type: 'varchar' }] },
      UnknownColumnError,
      /currency has no column "currency_name"/,
    ],
    [
      'a missing column',
      { columns: columns.slice(1) },
      MissingColumnError,
      /missing column\(s\) currency_id/,
    ],
    [
      'a column declared with another type',
      { columns: columns.map((c) => (c.name === 'currency_id' ? { ...c, type: 'varchar' } : c)) },
      WrongValueTypeError,
      /declared "varchar"/,
    ],
    [
      'a string where an int belongs',
      { rows: [row('currency', { currency_id: '1' })] },
      WrongValueTypeError,
      /currency_id \(int\) holds "1"/,
    ],
    ['a float id', { rows: [row('currency', { currency_id: 1.5 })] }, WrongValueTypeError, /32-bit integer/],
    [
      'null in NOT NULL',
      { rows: [row('currency', { currency_id: 1, currency_code: null })] },
      WrongValueTypeError,
      /null in NOT NULL column currency_code/,
    ],
    [
      'a code longer than varchar(3)',
      { rows: [row('currency', { currency_id: 1, currency_code: 'GBPX' })] },
      WrongValueTypeError,
      /at most 3/,
    ],
    [
      'a malformed timestamp',
      { rows: [row('currency', { currency_id: 1, last_updated: '2022-11-03T14:20:49Z' })] },
      WrongValueTypeError,
      /timestamp/,
    ],
    [
      'a timestamp outside the day (derivation takes its parts unchecked)',
      { rows: [row('currency', { currency_id: 1, created_at: '2022-11-03 24:00:00.000' })] },
      WrongValueTypeError,
      /created_at \(timestamp\) holds "2022-11-03 24:00:00.000"/,
    ],
    [
      'a timestamp on no calendar day',
      { rows: [row('currency', { currency_id: 1, last_updated: '2023-02-29 10:00:00.000' })] },
      WrongValueTypeError,
      /timestamp/,
    ],
    ['a short row', { rows: [[1, 'GBP']] }, WrongValueTypeError, /row 0 is not an array of 4 values/],
    [
      'a row count that differs from the manifest',
      { rows: [] },
      BadManifestError,
      /holds 0 rows, the manifest says 1/,
    ],
  ])('%s', (_label, overrides, errorClass, message) => {
    expect(() => validateTableObject(object(overrides), entry, runId)).toThrow(errorClass);
    expect(() => validateTableObject(object(overrides), entry, runId)).toThrow(message);
  });

  test('numeric must be a decimal string, never a JSON number', () => {
    const e = { table: 'payment' as const, key: `${prefix}payment.0001.json`, part: 1, rows: 1 };
    const payment = {
      format: INGESTION_TABLE_FORMAT,
      runId,
      table: 'payment',
      part: 1,
      columns: SOURCE_TABLES.payment.columns.map((c) => ({ name: c.name, type: c.type })),
      rows: [row('payment', { payment_id: 1, payment_amount: 2.57 })],
    };
    expect(() => validateTableObject(payment, e, runId)).toThrow(/payment_amount \(numeric\) holds 2.57/);
    const good = { ...payment, rows: [row('payment', { payment_id: 1, payment_amount: '2.57' })] };
    expect(validateTableObject(good, e, runId).rows).toHaveLength(1);
  });
});

describe('validateManifest and parseJson', () => {
  test('malformed JSON is MalformedJsonError', () => {
    expect(() => parseJson('{"rows": [1,', 'table object x')).toThrow(MalformedJsonError);
  });

  test('a good manifest passes', () => {
    expect(validateManifest(manifest(), `${prefix}manifest.json`).runId).toBe(runId);
  });

  test.each([
    ['wrong format', { format: 'x' }, BadManifestError],
    ['a runId that does not match the key', { runId: '20221104T000000000Z-zz' }, BadManifestError],
    ['a runId that is not a run id', { runId: 'nope' }, BadManifestError],
    ['an unknown table', { objects: [{ ...entry, table: '_prisma_migrations' }] }, UnknownTableError],
    [
      'an object outside the unit',
      { objects: [{ ...entry, key: 'units/2022/11/03/other/currency.0001.json' }] },
      BadManifestError,
    ],
    ['an object listed twice', { objects: [entry, entry] }, BadManifestError],
    ['no objects array', { objects: undefined }, BadManifestError],
    ['a generation that is not a positive integer', { generation: 0 }, BadManifestError],
    ['a replay generation outside its generation folder', { generation: 2 }, BadManifestError],
  ])('%s', (_label, overrides, errorClass) => {
    expect(() => validateManifest(manifest(overrides), `${prefix}manifest.json`)).toThrow(errorClass);
  });

  test("a replay's manifest: in its generation folder, listing the original's objects", () => {
    const replay = validateManifest(
      manifest({ generation: 3, replayOf: `${prefix}manifest.json` }),
      `${prefix}generation-0003/manifest.json`,
    );
    expect(replay.generation).toBe(3);
    expect(() =>
      validateManifest(manifest({ generation: 2 }), `${prefix}generation-0003/manifest.json`),
    ).toThrow('a manifest of generation 2 must be at');
  });
});
