import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTotes } from '../support/cli.ts';
import { groupAlive } from '../support/totes-child.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

function processesMentioning(text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('npm start, as a user runs it', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'totes-npm-start-'));
    await chmod(dir, 0o755);
  });

  afterAll(async () => {
    if (child?.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the warehouse, reports it through totes status --json, and stops everything on Ctrl-C', async () => {
    const stateDir = path.join(dir, 'state');
    // A terminal's Ctrl-C goes to the whole foreground process group: the test does the same.
    child = spawn(
      'npm',
      ['start', '--', '--state-dir', stateDir, '--scale', '0.05', '--every', '5', '--console-port', '0'],
      {
        cwd: REPO,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TOTESYS_URL: '', WAREHOUSE_URL: '' },
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child?.on('exit', (code, signal) => resolve({ code, signal })),
    );

    let warehouse: Record<string, number> = {};
    const deadline = Date.now() + 240_000;
    while (!((warehouse.fact_sales_order ?? 0) > 0 && (warehouse.fact_payment ?? 0) > 0)) {
      if (Date.now() > deadline) throw new Error(`no load within 4 minutes; npm start said:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      if (!output.includes('totes pipeline, local')) continue;
      const status = await runTotes(['status', '--state-dir', stateDir, '--json']);
      if (status.code !== 0) continue;
      const parsed = JSON.parse(status.stdout.trim().split('\n').at(-1) ?? '{}') as {
        warehouse?: Record<string, number>;
        runtimeRunning?: boolean;
      };
      expect(parsed.runtimeRunning).toBe(true);
      warehouse = parsed.warehouse ?? {};
    }
    expect(warehouse.dim_staff).toBe(20);
    expect(warehouse.dim_currency).toBe(3);
    // It prints the web console's URL and serves it (issue 17).
    const consoleUrl = /console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    expect(consoleUrl).toBeDefined();
    const pipelinePage = await fetch(`${consoleUrl}pipeline`);
    expect(pipelinePage.status).toBe(200);
    expect(await pipelinePage.text()).toContain('fact rows');

    process.kill(-(child.pid as number), 'SIGINT');
    const { code, signal } = await exited;
    expect(output).toContain('stopped: every part of the local pipeline is down');
    // npm itself dies of the SIGINT (as in a terminal); totes exits 0 or 130 after stopping.
    expect(signal === 'SIGINT' || code === 0 || code === 130).toBe(true);
    // Nothing of it is left: not npm, not node, not PostgreSQL on the state folder.
    // Its embedded PostgreSQL stops last: 30 s were not always enough on a loaded machine.
    const deadlineGone = Date.now() + 120_000;
    while (groupAlive(child.pid as number) && Date.now() < deadlineGone) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(groupAlive(child.pid as number)).toBe(false);
    expect(processesMentioning(stateDir)).toEqual([]);
  }, 600_000);
});
