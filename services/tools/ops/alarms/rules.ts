/**
 * Local evaluation of the alarms defined in shared/config/alarms.json (pure: observations in,
 * states out). Each definition is evaluated by its `kind` with CloudWatch's comparison
 * (`breaches`) and its treatMissingData, so the laptop's alarm means what the deployed one means.
 */
import { type AlarmKind, breaches, type ResolvedAlarm } from '../../../../shared/config/alarms.ts';

/** INSUFFICIENT_DATA only comes from CloudWatch (`--aws`): the local evaluation decides every alarm. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  /** `<prefix>-<id>` (DLQ alarms contain "dlq"). */
  readonly name: string;
  readonly id: string;
  readonly kind: AlarmKind;
  readonly stage: string;
  readonly state: AlarmStateValue;
  readonly reason: string;
  /** The datapoint compared with the threshold (null: no data). */
  readonly value: number | null;
  readonly threshold: number;
  /** RUNBOOK.md anchor. */
  readonly runbook: string;
}

export interface AlarmObservations {
  /** Epoch ms the evaluation is for. */
  readonly now: number;
  /** Queue name → visible messages and oldest message age (seconds, null: empty or unknown). */
  readonly queues: Readonly<
    Record<string, { readonly visible: number; readonly oldestAgeSeconds: number | null }>
  >;
  /** Stage → failedAt (ISO) of every recorded, not yet cleared, failure. */
  readonly failures: Readonly<Record<string, readonly string[]>>;
  /** When the last successful extract ran (ISO or 'YYYY-MM-DD HH:MM:SS.mmm' UTC), null: never. */
  readonly lastSuccessfulExtract: string | null;
  /**
   * The newest extract runs (RUN records): when each read the source (its run-id time, UTC) and the
   * causes that put rows at risk it found there (null: a record from before the extract observed it).
   */
  readonly extractRuns: readonly { readonly at: string; readonly unobservable: readonly string[] | null }[];
  /**
   * How late the warehouse is, in seconds: the age of the oldest source change it does not hold
   * yet (0 when it holds the newest), null when nothing can be said.
   */
  readonly freshness: { readonly lagSeconds: number | null; readonly detail: string };
  /** Rows held in the warehouse quarantine now (null: the warehouse could not be read). */
  readonly rowsHeld?: { readonly count: number | null; readonly detail: string };
  /**
   * The last source schema drift an extract run saw (`DRIFT/extract` in the state table), null or
   * absent when none was ever seen.
   */
  readonly schemaDrift?: {
    readonly at: string;
    readonly findings: number;
    readonly incompatible: number;
    readonly subjects: readonly string[];
  } | null;
}

/** Timestamps without a zone are the pipeline's UTC wall clock. */
export function parseUtc(value: string): number {
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  return Date.parse(iso);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function datapoint(alarm: ResolvedAlarm, obs: AlarmObservations): { value: number | null; detail: string } {
  const queueName = alarm.metric.dimensions.QueueName;
  switch (alarm.kind) {
    case 'dlq-depth': {
      const q = queueName ? obs.queues[queueName] : undefined;
      if (!q) return { value: null, detail: `queue ${queueName} not found` };
      return { value: q.visible, detail: `${queueName} holds ${plural(q.visible, 'visible message')}` };
    }
    case 'queue-age': {
      const q = queueName ? obs.queues[queueName] : undefined;
      if (!q) return { value: null, detail: `queue ${queueName} not found` };
      if (q.oldestAgeSeconds === null) return { value: null, detail: `${queueName} is empty` };
      return {
        value: q.oldestAgeSeconds,
        detail: `oldest message in ${queueName} is ${q.oldestAgeSeconds}s old`,
      };
    }
    case 'records-failed': {
      const since = obs.now - alarm.periodSeconds * 1000;
      const recent = (obs.failures[alarm.stage] ?? []).filter((at) => parseUtc(at) >= since);
      return {
        value: recent.length,
        detail: `${plural(recent.length, 'object')} failed in ${alarm.stage} in the last ${alarm.periodSeconds / 60} min`,
      };
    }
    case 'heartbeat': {
      if (obs.lastSuccessfulExtract === null)
        return { value: null, detail: 'no successful extract recorded' };
      const age = Math.round((obs.now - parseUtc(obs.lastSuccessfulExtract)) / 1000);
      const within = age <= alarm.periodSeconds ? 1 : 0;
      return {
        value: within,
        detail: `last successful extract ${age}s ago (at ${obs.lastSuccessfulExtract}; period ${alarm.periodSeconds}s)`,
      };
    }
    case 'freshness':
      return { value: obs.freshness.lagSeconds, detail: obs.freshness.detail };
    case 'rows-held': {
      const held = obs.rowsHeld;
      if (!held) return { value: null, detail: 'warehouse quarantine not observed' };
      return { value: held.count, detail: held.detail };
    }
    case 'source-unobservable': {
      // CloudWatch's Maximum of SourceUnobservable over the period: each run emits its cause count.
      const since = obs.now - alarm.periodSeconds * 1000;
      const recent = obs.extractRuns.filter((r) => r.unobservable !== null && parseUtc(r.at) >= since);
      if (recent.length === 0)
        return { value: null, detail: `no extract run in the last ${alarm.periodSeconds / 60} min` };
      const causes = [...new Set(recent.flatMap((r) => r.unobservable ?? []))].sort();
      return {
        value: Math.max(...recent.map((r) => r.unobservable?.length ?? 0)),
        detail:
          causes.length === 0
            ? `${plural(recent.length, 'extract run')} in the last ${alarm.periodSeconds / 60} min observed the source fully`
            : `the extract cannot observe the source (${causes.join(', ')}; the extract log names the fix)`,
      };
    }
    case 'schema-drift': {
      const drift = obs.schemaDrift;
      if (!drift) return { value: null, detail: 'no source schema drift recorded' };
      // As CloudWatch's Maximum over the period: a drift datapoint older than the period is gone.
      if (parseUtc(drift.at) < obs.now - alarm.periodSeconds * 1000) {
        return {
          value: 0,
          detail: `no drift in the last ${alarm.periodSeconds / 60} min (last at ${drift.at})`,
        };
      }
      const stops = drift.incompatible > 0 ? `, ${drift.incompatible} stopping the extract` : '';
      return {
        value: drift.findings,
        detail: `source schema drift at ${drift.at}${stops}: ${drift.subjects.join(', ')}`,
      };
    }
    case 'lambda-errors':
    case 'lambda-throttles':
      return { value: null, detail: 'not evaluated locally (CloudWatch Lambda metric)' };
  }
}

const COMPARISON_TEXT: Record<ResolvedAlarm['comparison'], string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

export function evaluateAlarm(alarm: ResolvedAlarm, obs: AlarmObservations): AlarmState {
  const { value, detail } = datapoint(alarm, obs);
  let state: AlarmStateValue;
  let reason: string;
  const rule = `${COMPARISON_TEXT[alarm.comparison]} ${alarm.threshold}`;
  if (value === null) {
    state = alarm.treatMissingData === 'breaching' ? 'ALARM' : 'OK';
    reason = `${detail} (no datapoint, treated as ${alarm.treatMissingData})`;
  } else {
    state = breaches(alarm, value) ? 'ALARM' : 'OK';
    reason = `${detail}: ${value} ${state === 'ALARM' ? 'is' : 'is not'} ${rule}`;
  }
  return {
    name: alarm.name,
    id: alarm.id,
    kind: alarm.kind,
    stage: alarm.stage,
    state,
    reason,
    value,
    threshold: alarm.threshold,
    runbook: alarm.runbook,
  };
}

export function evaluateRules(alarms: readonly ResolvedAlarm[], obs: AlarmObservations): AlarmState[] {
  return alarms.map((alarm) => evaluateAlarm(alarm, obs));
}

export function renderAlarms(states: readonly AlarmState[]): string {
  if (states.length === 0) return 'no alarms defined for the local stack';
  const width = Math.max(...states.map((s) => s.name.length));
  const stateWidth = Math.max(5, ...states.map((s) => s.state.length));
  return states
    .map(
      (s) => `${s.state.padEnd(stateWidth)}  ${s.name.padEnd(width)}  ${s.reason}  (RUNBOOK.md#${s.runbook})`,
    )
    .join('\n');
}
