import { fail, ok, warn } from '../../../services/tools/ops/doctor/check.ts';
import {
  type DoctorReport,
  exitCodeOf,
  judgeUtc,
  renderReport,
  reportJson,
  SUPPORTED_POSTGRES,
  versionCheck,
} from '../../../services/tools/ops/doctor/index.ts';

const H = 3600;

describe('judgeUtc: does last_updated look like UTC?', () => {
  it('an active source a few seconds behind UTC now is UTC', () => {
    const j = judgeUtc(
      [
        { table: 'payment', gapSeconds: 4 },
        { table: 'currency', gapSeconds: 900 * H },
      ],
      0,
    );
    expect(j.looksUtc).toBe(true);
    expect(j.detail).toContain('newest change (payment) is 4s before');
  });

  it('a newest value more than a minute in the future is local time east of UTC', () => {
    const j = judgeUtc(
      [
        { table: 'sales_order', gapSeconds: -H + 5 },
        { table: 'staff', gapSeconds: 40 },
      ],
      0,
    );
    expect(j.looksUtc).toBe(false);
    expect(j.detail).toMatch(/sales_order\.last_updated is 1h ahead/);
    expect(judgeUtc([{ table: 'payment', gapSeconds: -30 }], 0).looksUtc).toBe(true);
  });

  it("a gap equal to the session's west-of-UTC offset means writers stamp local now()", () => {
    const j = judgeUtc([{ table: 'payment', gapSeconds: 5 * H + 20 }], -5 * H);
    expect(j.looksUtc).toBe(false);
    expect(j.detail).toContain("session TimeZone's offset (UTC-5h)");
  });

  it('a whole number of hours behind is suspicious (WARN, saying a quiet source may explain it)', () => {
    const j = judgeUtc([{ table: 'payment', gapSeconds: 3 * H + 30 }], 0);
    expect(j.looksUtc).toBe(false);
    expect(j.detail).toContain('a whole number of hours');
    expect(j.detail).toContain('if it has been quiet that long, ignore this');
  });

  it('a quiet source with no such signature is OK and says the check is weak; no rows: nothing to judge', () => {
    const j = judgeUtc([{ table: 'payment', gapSeconds: 3 * H + 25 * 60 }], 0);
    expect(j.looksUtc).toBe(true);
    expect(j.detail).toContain('a weak check');
    expect(judgeUtc([{ table: 'payment', gapSeconds: null }], 0)).toEqual({
      looksUtc: true,
      detail: 'no rows yet: nothing to judge',
    });
  });
});

describe('versionCheck', () => {
  it('OK inside the range, FAIL below, WARN above', () => {
    const major = (m: number) => versionCheck('source', 'source', m * 10_000 + 1, `${m}.1`);
    expect(major(SUPPORTED_POSTGRES.newestMajor).status).toBe('OK');
    expect(major(SUPPORTED_POSTGRES.oldestMajor).status).toBe('OK');
    expect(major(SUPPORTED_POSTGRES.oldestMajor - 1)).toMatchObject({
      status: 'FAIL',
      fix: `upgrade the source server to PostgreSQL ${SUPPORTED_POSTGRES.oldestMajor} or later`,
    });
    expect(major(SUPPORTED_POSTGRES.newestMajor + 1).status).toBe('WARN');
  });
});

describe('rendering', () => {
  const report: DoctorReport = {
    target: { kind: 'local', description: 'local stack in /s (running)' },
    checks: [
      ok('source', 'source reachable', 'connected to totesys as totes'),
      warn(
        'source',
        'source sessions visible',
        'cannot see\nother sessions',
        'GRANT pg_read_all_stats TO "x";',
      ),
      fail('resources', 'DLQ totes-load-dlq', 'does not exist', 'npx totes start --state-dir /s'),
    ],
    notChecked: ['buckets: no state folder'],
  };

  it('one line per check: status, name, detail, and the fix for WARN / FAIL; then a summary', () => {
    expect(renderReport(report).split('\n')).toEqual([
      'totes doctor: local stack in /s (running)',
      'OK    source reachable: connected to totesys as totes',
      'WARN  source sessions visible: cannot see other sessions — fix: GRANT pg_read_all_stats TO "x";',
      'FAIL  DLQ totes-load-dlq: does not exist — fix: npx totes start --state-dir /s',
      'not checked: buckets: no state folder',
      '1 ok, 1 warning, 1 failed — the pipeline will not work as it is',
    ]);
  });

  it('colour only when asked (the command asks on a TTY without NO_COLOR)', () => {
    expect(renderReport(report)).not.toContain('\u001b[');
    expect(renderReport(report, { colour: true })).toContain('\u001b[31mFAIL\u001b[0m');
  });

  it('--json is one document; exit 1 on a FAIL, 0 when only WARN', () => {
    const parsed = JSON.parse(reportJson(report)) as Record<string, unknown>;
    expect(parsed).toMatchObject({ ok: false, summary: { ok: 1, warn: 1, fail: 1 } });
    expect(exitCodeOf(report)).toBe(1);
    expect(exitCodeOf({ ...report, checks: report.checks.slice(0, 2) })).toBe(0);
  });
});
