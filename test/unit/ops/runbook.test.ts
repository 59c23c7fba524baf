import { readFileSync } from 'node:fs';
import { loadAlarmDefinitions } from '../../../shared/config/alarms.ts';

const runbook = readFileSync(new URL('../../../RUNBOOK.md', import.meta.url), 'utf8');

/** The text of the section that starts at `<a id="anchor">`, up to the next anchor. */
function section(anchor: string): string {
  const start = runbook.indexOf(`<a id="${anchor}"></a>`);
  if (start < 0) return '';
  const next = runbook.indexOf('<a id="', start + 1);
  return runbook.slice(start, next < 0 ? undefined : next);
}

describe('RUNBOOK.md', () => {
  const anchors = [...new Set(loadAlarmDefinitions().map((a) => a.runbook))];

  it.each(anchors)('has a complete section for the alarms linking to #%s', (anchor) => {
    const text = section(anchor);
    expect(text).not.toBe('');
    for (const part of [
      '**What it means.**',
      '**Look.**',
      '**Usual causes.**',
      '**Fix.**',
      '**Redrive.**',
      '**Verify recovery.**',
    ]) {
      expect(text).toContain(part);
    }
  });

  it('names every alarm of alarms.json in its section', () => {
    for (const alarm of loadAlarmDefinitions()) expect(section(alarm.runbook)).toContain(`totes-${alarm.id}`);
  });

  it('links only to anchors it defines', () => {
    const links = [...runbook.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(runbook).toContain(`<a id="${link}"></a>`);
  });
});
