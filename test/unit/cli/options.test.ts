import path from 'node:path';
import { describeMigration } from '../../../services/tools/cli/commands/migrate.ts';
import { CliError, expectedErrorMessage, redactUrl, UsageError } from '../../../services/tools/cli/errors.ts';
import {
  DEFAULT_STATE_DIR,
  nonNegativeInteger,
  optionalSourceUrl,
  positiveNumber,
  resolveSourceUrl,
  resolveStateDir,
  resolveWarehouseUrl,
} from '../../../services/tools/cli/options.ts';
import { ConfigurationError } from '../../../shared/config/env.ts';

describe('database URL options', () => {
  const url = 'postgres://u:p@db.example:5432/warehouse';

  it('prefers the flag, then the environment variable', () => {
    expect(resolveWarehouseUrl({ warehouseUrl: url }, { WAREHOUSE_URL: 'postgres://other/x' })).toBe(url);
    expect(resolveWarehouseUrl({}, { WAREHOUSE_URL: url })).toBe(url);
    expect(resolveSourceUrl({}, { TOTESYS_URL: url })).toBe(url);
    expect(optionalSourceUrl({}, {})).toBeUndefined();
  });

  it('names both ways to give a missing URL', () => {
    expect(() => resolveWarehouseUrl({}, {})).toThrow(UsageError);
    expect(() => resolveWarehouseUrl({}, {})).toThrow(/--warehouse-url or set WAREHOUSE_URL/);
    expect(() => resolveSourceUrl({ sourceUrl: '' }, { TOTESYS_URL: '' })).toThrow(
      /--source-url or set TOTESYS_URL/,
    );
  });

  it('rejects a value that is not a postgres URL, naming where it came from', () => {
    expect(() => resolveWarehouseUrl({ warehouseUrl: 'http://x/y' }, {})).toThrow(
      /^--warehouse-url: expected/,
    );
    expect(() => resolveSourceUrl({}, { TOTESYS_URL: 'not a url' })).toThrow(/^TOTESYS_URL: not a URL/);
    expect(resolveSourceUrl({ sourceUrl: 'postgresql://h/db' }, {})).toBe('postgresql://h/db');
  });

  it('puts the state folder under the working directory unless told otherwise', () => {
    expect(resolveStateDir({}, '/w')).toBe(path.join('/w', DEFAULT_STATE_DIR));
    expect(resolveStateDir({ stateDir: 'elsewhere' }, '/w')).toBe('/w/elsewhere');
    expect(resolveStateDir({ stateDir: '/abs/state' }, '/w')).toBe('/abs/state');
  });
});

describe('numeric option parsers', () => {
  it('accepts positive numbers and whole numbers', () => {
    expect(positiveNumber('0.05')).toBe(0.05);
    expect(positiveNumber('10')).toBe(10);
    expect(nonNegativeInteger('0')).toBe(0);
    expect(nonNegativeInteger('42')).toBe(42);
  });

  it('refuses everything else', () => {
    for (const bad of ['0', '-1', 'abc', '', 'Infinity', 'NaN']) expect(() => positiveNumber(bad)).toThrow();
    for (const bad of ['-1', '1.5', 'abc', '', '1e3', '99999999999999999999']) {
      expect(() => nonNegativeInteger(bad)).toThrow();
    }
  });
});

describe('expected errors', () => {
  it('passes CLI and configuration errors through as their message', () => {
    expect(expectedErrorMessage(new UsageError('bad flag'))).toBe('bad flag');
    expect(new UsageError('x').exitCode).toBe(2);
    expect(new CliError('y').exitCode).toBe(1);
    expect(expectedErrorMessage(new ConfigurationError('environment variable X is not set'))).toBe(
      'environment variable X is not set',
    );
  });

  it('recognises unreachable databases anywhere in the cause chain', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(expectedErrorMessage(refused)).toMatch(/^cannot reach the database: connection refused/);
    const wrapped = new Error('pool failed', { cause: refused });
    expect(expectedErrorMessage(wrapped)).toMatch(/connection refused/);
    const aggregate = new AggregateError([refused], 'all attempts failed');
    expect(expectedErrorMessage(aggregate)).toMatch(/connection refused/);
    const auth = Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' });
    expect(expectedErrorMessage(auth)).toMatch(/^database error: password authentication failed/);
  });

  it('treats anything else as a bug (no message, so the stack is printed)', () => {
    expect(expectedErrorMessage(new TypeError('x is undefined'))).toBeUndefined();
    expect(expectedErrorMessage(Object.assign(new Error('syntax'), { code: '42601' }))).toBeUndefined();
  });

  it('never shows a password', () => {
    expect(redactUrl('postgres://user:s3cret@h:5432/db')).toBe('postgres://user:***@h:5432/db');
    expect(redactUrl('postgres://h/db')).toBe('postgres://h/db');
    expect(redactUrl('::')).toBe('<unparseable URL>');
  });
});

describe('migrate output', () => {
  it('lists what was applied, or says nothing was', () => {
    expect(describeMigration({ applied: [1], alreadyApplied: [] })).toEqual([
      'applied migration 1 (star schema and pipeline bookkeeping)',
      'warehouse schema is at version 1',
    ]);
    expect(describeMigration({ applied: [], alreadyApplied: [1] })).toEqual([
      'nothing to apply: warehouse schema is at version 1',
    ]);
  });
});
