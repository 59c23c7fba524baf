import type { DatabasePool } from 'slonik';
import { sql } from 'slonik';
import { countRows } from '../../../shared/db/catalog.ts';
import { WAREHOUSE_TABLES } from '../../../shared/schema/warehouse.ts';
import { ledgerFreshness } from '../../../shared/state/freshness.ts';
import type { SimulationCounts } from '../simulator/simulate.ts';
import { dlqDepths } from './run-once.ts';
import type { LocalStack } from './stack.ts';

/** One look at the running pipeline, for the live display. */
export interface LiveSnapshot {
  readonly uptimeSeconds: number;
  readonly extract: { runs: number; failures: number; last: string };
  /** The schedule is paused (`totes schedule pause`): no scheduled extract runs. */
  readonly schedulePaused?: boolean;
  /** Scheduled ticks that found the schedule paused and started nothing (since `npm start`). */
  readonly ticksSkippedWhilePaused?: number;
  readonly stages: Record<
    'transform' | 'load',
    { ok: number; failed: number; batches: number; lastError?: string }
  >;
  readonly queues: Record<string, number>;
  readonly dlq: Record<string, number>;
  readonly warehouse: Record<string, number>;
  readonly freshnessSeconds: number | null;
  readonly simulated: { events: number; inserted: number; updated: number } | null;
  readonly alarms: readonly { name: string; state: string }[];
}

export interface LiveSources {
  readonly stack: LocalStack;
  readonly warehouse: DatabasePool;
  readonly startedAt: number;
  simulation?: SimulationCounts;
  /** Alarm evaluation, when the on-call tooling provides it. */
  alarms?: () => Promise<readonly { name: string; state: string }[]>;
  /** The last evaluation and when it ran: alarms are re-evaluated every ALARM_REFRESH_MS only. */
  alarmCache?: { readonly at: number; readonly states: readonly { name: string; state: string }[] };
}

function describeExtract(stack: LocalStack): string {
  const last = stack.lastExtract;
  if (!last) return 'waiting for the first run';
  if (!last.ok) return `FAILED: ${last.error instanceof Error ? last.error.message : String(last.error)}`;
  const result = last.result as { status?: string; runId?: string; changedRows?: number };
  return `${result.status ?? '?'}${result.changedRows ? ` (${result.changedRows} changed rows)` : ''} ${result.runId ?? ''}`.trim();
}

/**
 * Evaluating the alarms reads the state table and both databases (with pools of its own), and
 * their periods are minutes long: once every 10 s is plenty for a view redrawn every second.
 */
const ALARM_REFRESH_MS = 10_000;

export async function currentAlarms(
  sources: LiveSources,
): Promise<readonly { name: string; state: string }[]> {
  if (!sources.alarms) return [];
  const cached = sources.alarmCache;
  if (cached && Date.now() - cached.at < ALARM_REFRESH_MS) return cached.states;
  const states = await sources.alarms().catch(() => cached?.states ?? []);
  sources.alarmCache = { at: Date.now(), states };
  return states;
}

export async function takeSnapshot(sources: LiveSources): Promise<LiveSnapshot> {
  const { stack, warehouse } = sources;
  const queues: Record<string, number> = {};
  for (const queue of Object.values(stack.resources.queues)) {
    queues[queue.name] = await stack.queueDepth(queue.name);
  }
  const counts: Record<string, number> = {};
  for (const table of WAREHOUSE_TABLES) {
    counts[table] = await countRows(warehouse, sql.identifier([table]));
  }
  const { ageSeconds: age } = await ledgerFreshness(warehouse);
  const sim = sources.simulation;
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const stage = (name: 'transform' | 'load') => {
    const c = stack.counters[name];
    return {
      ok: c.recordsSucceeded,
      failed: c.recordsFailed,
      batches: c.batches,
      ...(c.lastError ? { lastError: c.lastError } : {}),
    };
  };
  return {
    uptimeSeconds: Math.round((Date.now() - sources.startedAt) / 1000),
    extract: {
      runs: stack.counters.extract.invocations,
      failures: stack.counters.extract.invocationErrors,
      last: describeExtract(stack),
    },
    schedulePaused: stack.schedule.paused,
    ticksSkippedWhilePaused: stack.schedule.ticksSkippedWhilePaused,
    stages: { transform: stage('transform'), load: stage('load') },
    queues,
    dlq: await dlqDepths(stack),
    warehouse: counts,
    freshnessSeconds: age === null ? null : Math.round(Number(age)),
    simulated: sim ? { events: sim.events, inserted: sum(sim.inserted), updated: sum(sim.updated) } : null,
    alarms: await currentAlarms(sources),
  };
}

const n = (value: number) => value.toLocaleString('en-GB');

export function renderSnapshot(s: LiveSnapshot, stateDir: string): string[] {
  const lines = [
    `totes pipeline, local — up ${s.uptimeSeconds}s — state in ${stateDir} — Ctrl-C to stop`,
    `extract    ${s.schedulePaused ? `schedule PAUSED, ${s.ticksSkippedWhilePaused ?? 0} ticks skipped (\`npx totes schedule resume\` to resume); ` : ''}runs ${s.extract.runs}, failed ${s.extract.failures}; last: ${s.extract.last}`,
  ];
  for (const name of ['transform', 'load'] as const) {
    const st = s.stages[name];
    lines.push(
      `${name.padEnd(10)} records ok ${n(st.ok)}, failed ${n(st.failed)}, batches ${n(st.batches)}${st.lastError ? `; last error: ${st.lastError.slice(0, 80)}` : ''}`,
    );
  }
  lines.push(
    `queues     ${Object.entries(s.queues)
      .map(([q, d]) => `${q} ${d}`)
      .join(', ')}; DLQs ${Object.entries(s.dlq)
      .map(([q, d]) => `${q} ${d}`)
      .join(', ')}`,
  );
  const facts = ['fact_sales_order', 'fact_purchase_order', 'fact_payment'];
  lines.push(
    `warehouse  ${facts.map((t) => `${t} ${n(s.warehouse[t] ?? 0)}`).join(', ')}; dims ${n(
      Object.entries(s.warehouse)
        .filter(([t]) => !facts.includes(t))
        .reduce((a, [, v]) => a + v, 0),
    )} rows`,
  );
  lines.push(
    `freshness  ${s.freshnessSeconds === null ? 'nothing loaded yet' : `newest loaded source change is ${s.freshnessSeconds}s old`}`,
  );
  if (s.simulated) {
    lines.push(
      `simulate   ${n(s.simulated.events)} events: ${n(s.simulated.inserted)} rows inserted, ${n(s.simulated.updated)} updated`,
    );
  }
  if (s.alarms.length) {
    const firing = s.alarms.filter((a) => a.state === 'ALARM');
    lines.push(
      `alarms     ${firing.length === 0 ? `all ${s.alarms.length} OK` : `ALARM: ${firing.map((a) => a.name).join(', ')}`}`,
    );
  }
  return lines;
}

/**
 * Redraws a block of lines in place on a terminal; elsewhere (a pipe, a CI log) prints the block
 * only every `plainEveryMs`, so logs stay readable.
 */
export class LiveDisplay {
  readonly #out: NodeJS.WriteStream;
  #drawn = 0;
  #lastPlain = 0;
  readonly #plainEveryMs: number;

  constructor(out: NodeJS.WriteStream = process.stdout, plainEveryMs = 10_000) {
    this.#out = out;
    this.#plainEveryMs = plainEveryMs;
  }

  draw(lines: readonly string[]): void {
    if (this.#out.isTTY) {
      const width = this.#out.columns || 120;
      const clipped = lines.map((l) => (l.length > width - 1 ? `${l.slice(0, width - 2)}…` : l));
      const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
      this.#out.write(`${up}${clipped.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
      this.#drawn = clipped.length;
      return;
    }
    if (Date.now() - this.#lastPlain < this.#plainEveryMs) return;
    this.#lastPlain = Date.now();
    this.#out.write(`${lines.join('\n')}\n\n`);
  }
}
