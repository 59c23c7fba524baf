/**
 * `totes alarms --webhook URL`: posts each alarm state CHANGE (how a laptop demo pages someone),
 * in the body `--webhook-format` chooses (webhook-payload.ts; `{"text"}` by default). The states last seen are remembered in `<stateDir>/alarm-states.json`; an alarm seen
 * for the first time counts as coming from OK (so a first ALARM pages, a first OK does not).
 * A state is remembered only once its change was delivered, so a failed post is retried next time.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AlarmState, AlarmStateValue } from './rules.ts';
import { type WebhookFormat, webhookPayload } from './webhook-payload.ts';

export const ALARM_STATES_FILE = 'alarm-states.json';

export interface AlarmChange {
  readonly alarm: string;
  readonly previousState: AlarmStateValue;
  readonly state: AlarmStateValue;
  readonly reason: string;
  readonly runbook: string;
  readonly value: number | null;
  readonly threshold: number;
  readonly at: string;
  readonly source: 'totes alarms';
}

export function readPreviousStates(file: string): Record<string, AlarmStateValue> {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { states?: Record<string, AlarmStateValue> };
    return parsed.states ?? {};
  } catch {
    return {};
  }
}

/** Pure: the changes from `previous` to `states`. */
export function stateChanges(
  previous: Readonly<Record<string, AlarmStateValue>>,
  states: readonly AlarmState[],
  at: Date,
): AlarmChange[] {
  return states
    .filter((s) => (previous[s.name] ?? 'OK') !== s.state)
    .map((s) => ({
      alarm: s.name,
      previousState: previous[s.name] ?? 'OK',
      state: s.state,
      reason: s.reason,
      runbook: `RUNBOOK.md#${s.runbook}`,
      value: s.value,
      threshold: s.threshold,
      at: at.toISOString(),
      source: 'totes alarms',
    }));
}

export class WebhookError extends Error {
  override name = 'WebhookError';
}

export async function notifyChanges(
  states: readonly AlarmState[],
  options: { stateDir: string; url: string; format?: WebhookFormat; now?: Date; fetch?: typeof fetch },
): Promise<{ posted: AlarmChange[] }> {
  const file = path.join(options.stateDir, ALARM_STATES_FILE);
  const previous = readPreviousStates(file);
  const changes = stateChanges(previous, states, options.now ?? new Date());
  const remembered: Record<string, AlarmStateValue> = { ...previous };
  const posted: AlarmChange[] = [];
  const failed: string[] = [];
  const doFetch = options.fetch ?? fetch;
  for (const s of states) if (!changes.some((c) => c.alarm === s.name)) remembered[s.name] = s.state;
  for (const change of changes) {
    try {
      const response = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookPayload(change, options.format ?? 'json')),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      remembered[change.alarm] = change.state;
      posted.push(change);
    } catch (error) {
      failed.push(`${change.alarm}: ${(error as Error).message}`);
    }
  }
  mkdirSync(options.stateDir, { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(
    tmp,
    `${JSON.stringify({ updatedAt: new Date().toISOString(), states: remembered }, null, 2)}\n`,
  );
  renameSync(tmp, file);
  if (failed.length > 0) {
    throw new WebhookError(
      `webhook ${options.url} did not accept ${failed.length} change(s): ${failed.join('; ')}`,
    );
  }
  return { posted };
}
