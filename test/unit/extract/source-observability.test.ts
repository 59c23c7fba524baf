import {
  isUtcTimeZone,
  pagingCauses,
  type SourceEnvironment,
  sourceFindings,
} from '../../../services/lambdas/extract/source-observability.ts';

const healthy: SourceEnvironment = {
  role: 'totes_extract',
  database: 'totesys',
  inRecovery: false,
  timeZone: 'Etc/UTC',
  timeZoneSettings: [],
  seesAllSessions: false,
  hiddenSessions: 0,
};

describe('isUtcTimeZone', () => {
  it.each([
    'UTC',
    'Etc/UTC',
    'utc',
    'UCT',
    'Etc/Universal',
    'Zulu',
    'GMT',
    'Etc/GMT',
    'GMT0',
    'Etc/GMT+0',
    '<+00>-00',
  ])('accepts %s', (name) => expect(isUtcTimeZone(name)).toBe(true));
  it.each(['Europe/London', 'America/New_York', 'Etc/GMT+5', 'CET', 'localtime', ''])('rejects %s', (name) =>
    expect(isUtcTimeZone(name)).toBe(false),
  );
});

describe('sourceFindings', () => {
  it('finds nothing on a UTC primary whose sessions are all visible or absent', () => {
    expect(sourceFindings(healthy)).toEqual([]);
    expect(sourceFindings({ ...healthy, seesAllSessions: true, hiddenSessions: 0 })).toEqual([]);
  });

  it('a replica pages, naming the fix', () => {
    const [finding] = sourceFindings({ ...healthy, inRecovery: true });
    expect(finding).toMatchObject({ cause: 'replica', pages: true });
    expect(finding!.message).toMatch(
      /read replica.*pg_is_in_recovery.*fix: point the extract at the primary/,
    );
  });

  it('a non-UTC session TimeZone pages with the ALTER DATABASE that fixes it', () => {
    const findings = sourceFindings({ ...healthy, timeZone: 'Europe/London' });
    expect(pagingCauses(findings)).toEqual(['timezone']);
    expect(findings[0]!.message).toContain(`the session TimeZone is 'Europe/London'`);
    expect(findings[0]!.message).toContain(`ALTER DATABASE "totesys" SET TimeZone = 'UTC'`);
  });

  it('a writer role with its own TimeZone pages even when the extract session is UTC', () => {
    const findings = sourceFindings({
      ...healthy,
      timeZoneSettings: [
        { role: 'app "writer"', database: null, value: 'America/New_York' },
        { role: 'other', database: 'totesys', value: 'Asia/Tokyo' },
        { role: 'utc_role', database: null, value: 'UTC' },
      ],
    });
    expect(pagingCauses(findings)).toEqual(['timezone']);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain(`ALTER ROLE "app ""writer""" RESET TimeZone`);
    expect(findings[0]!.message).toContain(`ALTER ROLE "other" IN DATABASE "totesys" RESET TimeZone`);
    expect(findings[0]!.message).not.toContain('utc_role');
  });

  it('hidden sessions without pg_read_all_stats are a warning naming the grant, not a page', () => {
    const findings = sourceFindings({ ...healthy, hiddenSessions: 3 });
    expect(findings).toEqual([expect.objectContaining({ cause: 'sessions-hidden', pages: false })]);
    expect(findings[0]!.message).toContain('GRANT pg_read_all_stats TO "totes_extract"');
    expect(pagingCauses(findings)).toEqual([]);
  });

  it('reports every cause at once, paging ones first, each on one line', () => {
    const findings = sourceFindings({ ...healthy, inRecovery: true, timeZone: 'CET', hiddenSessions: 1 });
    expect(findings.map((f) => f.cause)).toEqual(['replica', 'timezone', 'sessions-hidden']);
    for (const f of findings) expect(f.message).not.toContain('\n');
  });
});
