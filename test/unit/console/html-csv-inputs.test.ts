import { toCsv } from '../../../services/tools/console/csv.ts';
import { escapeHtml, html } from '../../../services/tools/console/html.ts';
import {
  InputError,
  parseCurrency,
  parseDate,
  parseDateRange,
  parseMessageId,
  parseQueueName,
} from '../../../services/tools/console/inputs.ts';
import { SecretScrubber } from '../../../services/tools/console/redact.ts';

describe('html tag', () => {
  it('escapes every interpolated string, keeps nested html, joins arrays, drops null/false', () => {
    const key = `<img src=x onerror="alert('k')">&\``;
    const out = html`<td title="${key}">${key}</td>${[html`<b>${'a<b'}</b>`, 'c&d']}${null}${false}`.text;
    expect(out).toBe(
      '<td title="&lt;img src=x onerror=&quot;alert(&#39;k&#39;)&quot;&gt;&amp;&#96;">&lt;img src=x onerror=&quot;alert(&#39;k&#39;)&quot;&gt;&amp;&#96;</td><b>a&lt;b</b>c&amp;d',
    );
    expect(escapeHtml('"\'<>&`')).toBe('&quot;&#39;&lt;&gt;&amp;&#96;');
  });
});

describe('CSV', () => {
  it('quotes separators, quotes and newlines; defuses formulas in text; leaves numbers as given', () => {
    const csv = toCsv(
      [
        { key: 'name', label: 'name', kind: 'text' },
        { key: 'amount', label: 'amount', kind: 'decimal' },
      ],
      [
        { name: 'Kemmer, "Ltd"', amount: '-12.30' },
        { name: '=HYPERLINK("x")', amount: '1000000.01' },
        { name: 'two\nlines', amount: null },
      ],
    );
    expect(csv).toBe(
      'name,amount\r\n"Kemmer, ""Ltd""",-12.30\r\n"\'=HYPERLINK(""x"")",1000000.01\r\n"two\nlines",\r\n',
    );
  });
});

describe('request inputs', () => {
  it('takes real calendar dates only, with the field named in the error', () => {
    expect(parseDate('2024-02-29', 'from')).toBe('2024-02-29');
    expect(() => parseDate('2023-02-29', 'from')).toThrow('from: 2023-02-29 is not a day of the calendar');
    expect(() => parseDate('29/02/2024', 'to')).toThrow('to: expected a date as YYYY-MM-DD');
    expect(() => parseDate("2024-01-01' OR 1=1", 'to')).toThrow(InputError);
  });

  it('date ranges are optional at both ends and must not run backwards', () => {
    expect(parseDateRange(new URLSearchParams(''))).toEqual({ from: null, to: null });
    expect(parseDateRange(new URLSearchParams('from=2024-01-01'))).toEqual({ from: '2024-01-01', to: null });
    expect(() => parseDateRange(new URLSearchParams('from=2024-02-01&to=2024-01-01'))).toThrow(
      'from (2024-02-01) is after to (2024-01-01)',
    );
  });

  it('currencies, message ids and queue names have their shapes', () => {
    expect(parseCurrency(' gbp ')).toBe('GBP');
    expect(parseCurrency('')).toBeNull();
    expect(() => parseCurrency('POUNDS')).toThrow('three-letter code');
    expect(parseMessageId('c7dba71d-3ad7-43ac-ad13-dffc457fbead')).toBe(
      'c7dba71d-3ad7-43ac-ad13-dffc457fbead',
    );
    expect(() => parseMessageId('<script>')).toThrow('message id');
    expect(parseQueueName('totes-load-dlq')).toBe('totes-load-dlq');
    expect(() => parseQueueName('../etc/passwd')).toThrow('queue');
  });
});

describe('secret scrubber', () => {
  it('removes URL passwords, AWS key ids and the long literal secrets it was given', () => {
    const scrubber = SecretScrubber.fromUrls([
      'postgres://app:s3cret-Pa55word@db:5432/warehouse',
      'not a url',
    ]);
    expect(
      scrubber.scrub(
        'connect postgres://app:s3cret-Pa55word@db:5432/warehouse failed; key AKIAABCDEFGHIJKLMNOP; pw s3cret-Pa55word',
      ),
    ).toBe('connect postgres://app:***@db:5432/warehouse failed; key AKIA****************; pw ***');
  });

  it('leaves short literal passwords to the URL pattern (the local "totes" is also every queue name)', () => {
    const scrubber = SecretScrubber.fromUrls(['postgres://totes:totes@127.0.0.1:5432/x']);
    expect(scrubber.scrub('totes-load-dlq at postgres://totes:totes@127.0.0.1:5432/x')).toBe(
      'totes-load-dlq at postgres://totes:***@127.0.0.1:5432/x',
    );
  });
});
