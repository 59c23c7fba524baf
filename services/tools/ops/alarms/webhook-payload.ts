import type { AlarmChange } from './webhook.ts';

/**
 * The body `totes alarms --webhook` posts for one state change, by `--webhook-format`:
 * - `text` (the default): `{"text": "..."}`, what Slack incoming webhooks and Teams (Office 365
 *   connector) incoming webhooks both accept, and most chat bridges besides;
 * - `slack`: `{"text"}` plus Block Kit blocks (a header line and the details as mrkdwn);
 * - `teams`: an Office 365 connector MessageCard (title, red/green theme colour, text);
 * - `json`: the change itself (`AlarmChange`), for your own receiver.
 */
export const WEBHOOK_FORMATS = ['text', 'slack', 'teams', 'json'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** `totes-load-dlq-depth is ALARM (was OK): 3 messages ... — runbook: RUNBOOK.md#dlq`. */
export function changeSummary(change: AlarmChange): string {
  return `${change.alarm} is ${change.state} (was ${change.previousState})`;
}

function details(change: AlarmChange): string {
  const value = change.value === null ? 'no data' : String(change.value);
  return `${change.reason}. Value ${value}, threshold ${change.threshold}, at ${change.at}. Runbook: ${change.runbook}`;
}

export function webhookPayload(change: AlarmChange, format: WebhookFormat): unknown {
  switch (format) {
    case 'text':
      return { text: `${changeSummary(change)}: ${details(change)}` };
    case 'slack':
      return {
        text: `${changeSummary(change)}: ${details(change)}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: changeSummary(change) } },
          { type: 'section', text: { type: 'mrkdwn', text: details(change) } },
        ],
      };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: changeSummary(change),
        themeColor: change.state === 'ALARM' ? 'D13438' : '2EB886',
        title: changeSummary(change),
        text: details(change),
      };
    case 'json':
      return change;
  }
}
