import { type AlarmChange, webhookPayload } from '../../../services/tools/ops/alarms/index.ts';

const change: AlarmChange = {
  alarm: 'totes-load-dlq-depth',
  previousState: 'OK',
  state: 'ALARM',
  reason: '3 messages in totes-load-dlq',
  runbook: 'RUNBOOK.md#dlq',
  value: 3,
  threshold: 1,
  at: '2026-11-30T05:00:00.000Z',
  source: 'totes alarms',
};

describe('alarm webhook payloads', () => {
  it('text (the default of the CLI): {"text"} only, which Slack and Teams incoming webhooks accept', () => {
    const body = webhookPayload(change, 'text') as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toBe(
      'totes-load-dlq-depth is ALARM (was OK): 3 messages in totes-load-dlq. Value 3, threshold 1, at 2026-11-30T05:00:00.000Z. Runbook: RUNBOOK.md#dlq',
    );
  });

  it('slack: text plus Block Kit blocks', () => {
    expect(webhookPayload(change, 'slack')).toMatchObject({
      text: expect.stringContaining('is ALARM'),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'totes-load-dlq-depth is ALARM (was OK)' } },
        { type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('Runbook') } },
      ],
    });
  });

  it('teams: a MessageCard, red for ALARM and green for OK', () => {
    expect(webhookPayload(change, 'teams')).toMatchObject({
      '@type': 'MessageCard',
      themeColor: 'D13438',
      title: 'totes-load-dlq-depth is ALARM (was OK)',
    });
    expect(webhookPayload({ ...change, state: 'OK', previousState: 'ALARM' }, 'teams')).toMatchObject({
      themeColor: '2EB886',
    });
  });

  it('json: the change itself', () => {
    expect(webhookPayload(change, 'json')).toBe(change);
  });
});
