/**
 * The on-call commands as a new user runs them against `totes start` in another terminal:
 * status, alarms, logs (and logs --follow until Ctrl-C), schedule pause (no extract runs while
 * paused) and resume, reconcile with no URLs, and `eval "$(totes env)"` pointing a libpq client
 * (node-postgres reads the same PG* variables as psql) at the warehouse.
 */
import { execFile } from 'node:child_process';
import { runTotes, TOTES_BIN } from '../support/cli.ts';
import { type RunningStack, startRunningStack } from '../support/local-stack.ts';
import { REPO, spawnTotes } from '../support/totes-child.ts';

interface Status {
  readonly warehouse?: Record<string, number>;
  readonly runtimeRunning?: boolean;
  readonly heartbeat?: { runId?: string } | null;
  readonly schedule?: { state?: string };
}

describe('operating the local stack while it runs', () => {
  let stack: RunningStack;
  let stateDir: string;
  const output = () => stack.child.output();

  const status = async (): Promise<Status> => {
    const run = await runTotes(['status', '--state-dir', stateDir, '--json']);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Status;
  };

  beforeAll(async () => {
    // A quiet source (no simulate): reconcile can then be exact.
    stack = await startRunningStack({ name: 'operate', scale: 0.05, every: 2 });
    stateDir = stack.stateDir;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const s = await status();
      if ((s.warehouse?.fact_sales_order ?? 0) > 0 && (s.warehouse?.fact_payment ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error(`nothing loaded in 4 minutes:\n${output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('status, alarms and logs read the running stack', async () => {
    const s = await status();
    expect(s.runtimeRunning).toBe(true);
    expect(s.schedule?.state).toBe('ENABLED');

    const alarms = await runTotes(['alarms', '--state-dir', stateDir, '--json']);
    expect(alarms.code).toBe(0);
    expect((JSON.parse(alarms.stdout) as { state: string }[]).every((a) => a.state === 'OK')).toBe(true);

    const logs = await runTotes(['logs', 'load', '--state-dir', stateDir, '--json']);
    expect(logs.code).toBe(0);
    const events = JSON.parse(logs.stdout) as { stage: string; runId: string | null; message: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.stage === 'load')).toBe(true);
    const loaded = events.find((e) => e.message === 'unit loaded');
    expect(loaded?.runId).toBeTruthy();

    const ofRun = await runTotes(['logs', '--state-dir', stateDir, '--run', String(loaded?.runId)]);
    const lines = ofRun.stdout.trim().split('\n');
    expect(lines.some((l) => / extract +\S+ units written/.test(l))).toBe(true);
    expect(lines.some((l) => / transform +\S+ unit transformed/.test(l))).toBe(true);
    expect(lines.every((l) => l.includes(String(loaded?.runId)))).toBe(true);
  });

  it('logs --follow prints new events as they come and stops cleanly on Ctrl-C', async () => {
    const follower = spawnTotes(['logs', 'extract', '--follow', '--since', '1s', '--state-dir', stateDir]);
    await follower.waitForOutput(/ extract +\S+ no change: no unit, heartbeat only/, 60_000);
    follower.kill('SIGINT');
    expect((await follower.exited).code).toBe(0);
  });

  it('schedule pause stops the extracts (no run while paused), resume starts them again', async () => {
    const paused = await runTotes(['schedule', 'pause', '--state-dir', stateDir]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/^local schedule: PAUSED since .*the running stack obeys it/);
    // A run already started when the pause landed may still finish: take the mark once the
    // schedule has skipped a tick, then let it skip three more (the view prints every 10 s).
    const skipped = () =>
      Math.max(
        0,
        ...[...output().matchAll(/schedule PAUSED, (\d+) ticks skipped/g)].map((m) => Number(m[1])),
      );
    const untilSkipped = async (n: number) => {
      const deadline = Date.now() + 120_000;
      while (skipped() < n) {
        if (Date.now() > deadline)
          throw new Error(`the schedule never skipped ${n} ticks:\n${output().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    await untilSkipped(1);
    const mark = (await status()).heartbeat?.runId;
    await untilSkipped(skipped() + 3);
    const whilePaused = await status();
    expect(whilePaused.schedule?.state).toBe('PAUSED');
    expect(whilePaused.heartbeat?.runId).toBe(mark);

    const resumed = await runTotes(['schedule', 'resume', '--state-dir', stateDir]);
    expect(resumed.code).toBe(0);
    const deadline = Date.now() + 60_000;
    while ((await status()).heartbeat?.runId === mark) {
      if (Date.now() > deadline) throw new Error('no extract ran after resume');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  it('reconcile with no URLs attaches the running stack and matches', async () => {
    const run = await runTotes(['reconcile', '--state-dir', stateDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OK/m);
  });

  it('eval "$(totes env)" points libpq clients at the warehouse', async () => {
    const query =
      "import pg from 'pg'; const c = new pg.Client(); await c.connect(); " +
      "const r = await c.query('select count(*)::int AS n from fact_sales_order'); console.log(r.rows[0].n); await c.end();";
    const script = `eval "$("$NODE" "$BIN" env --state-dir "$STATE")" && "$NODE" --input-type=module -e "$QUERY"`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(
        'sh',
        ['-c', script],
        {
          cwd: REPO,
          env: {
            PATH: process.env.PATH,
            NODE: process.execPath,
            BIN: TOTES_BIN,
            STATE: stateDir,
            QUERY: query,
          },
        },
        (error, out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve({ stdout: out }),
      ),
    );
    expect(Number(stdout.trim())).toBe((await status()).warehouse?.fact_sales_order);
  });
});
