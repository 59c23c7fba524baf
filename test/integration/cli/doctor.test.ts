import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sql } from 'slonik';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { runTotes, type TotesRun } from '../../support/cli.ts';
import { type RunningStack, startRunningStack } from '../../support/local-stack.ts';
import { groupAlive } from '../../support/totes-child.ts';

/**
 * `totes doctor` as a new user meets it (issue 13 acceptance): a local stack started with
 * `totes start --state-dir` in the background, doctor on it (all OK), then the same stack
 * misconfigured — an extract role missing a grant, a missing table, a queue without its DLQ — and
 * each fault named with its fix; then the stack stopped, and doctor still sees the state as it is.
 */

interface Report {
  ok: boolean;
  summary: { ok: number; warn: number; fail: number };
  checks: Array<{
    group: string;
    name: string;
    status: 'OK' | 'WARN' | 'FAIL';
    detail: string;
    fix?: string;
  }>;
  notChecked: string[];
}

function parse(run: TotesRun): Report {
  // --json: stdout is exactly one JSON document.
  return JSON.parse(run.stdout) as Report;
}

const byName = (report: Report, name: string) => {
  const check = report.checks.find((c) => c.name === name);
  if (!check) throw new Error(`no check ${name} in ${report.checks.map((c) => c.name).join(', ')}`);
  return check;
};

describe('totes doctor on a local stack', () => {
  let stack: RunningStack;
  let dir: string;
  let stateDir: string;
  let runtime: { sourceUrl: string; endpoints: { sqs: string } };

  beforeAll(async () => {
    stack = await startRunningStack({ name: 'doctor', scale: 0.02, every: 600, timeoutMs: 180_000 });
    ({ dir, stateDir } = stack);
    // runtime.json holds no password (the full URLs are in the private runtime-secrets.json).
    const info = JSON.parse(await readFile(path.join(stateDir, 'runtime.json'), 'utf8')) as {
      endpoints: { sqs: string };
    };
    const secrets = JSON.parse(await readFile(path.join(stateDir, 'runtime-secrets.json'), 'utf8')) as {
      sourceUrl: string;
    };
    runtime = { sourceUrl: secrets.sourceUrl, endpoints: info.endpoints };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('exits 2 with one line when there is nothing to check', async () => {
    const run = await runTotes(['doctor', '--state-dir', path.join(dir, 'nothing-here')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^totes: nothing to check: no local stack in .*nothing-here \(start one: npx totes start --state-dir/,
    );
    expect(run.stdout).toBe('');
  });

  it('a healthy running stack: every check OK, exit 0, one line per check', async () => {
    const text = await runTotes(['doctor', '--state-dir', stateDir]);
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`totes doctor: local stack in ${stateDir} (running)`);
    expect(lines.at(-1)).toMatch(/^\d+ ok, 0 warnings, 0 failed$/);
    const checks = lines.slice(1, -1);
    expect(checks.length).toBeGreaterThanOrEqual(25);
    for (const line of checks) expect(line).toMatch(/^OK {4}\S/);
    for (const name of [
      'source SELECT grants',
      'source sessions visible',
      'source TimeZone',
      'source last_updated is UTC',
      'source columns',
      'warehouse migrations',
      'warehouse rights',
      'redrive totes-load → totes-load-dlq',
      'notification totes-processed → totes-load',
      'table totes-pipeline-state',
    ]) {
      expect(checks.some((line) => line.startsWith(`OK    ${name}: `))).toBe(true);
    }
  });

  it('a misconfigured stack: missing grant, missing table, queue without its DLQ — each FAIL with its fix, exit 1', async () => {
    const admin = await createDatabasePool(runtime.sourceUrl);
    try {
      await admin.query(sql.unsafe`CREATE ROLE doctor_extract LOGIN PASSWORD 'doctor'`);
      // SELECT on every table but payment; nothing else (no pg_read_all_stats).
      await admin.query(sql.unsafe`GRANT SELECT ON address, counterparty, currency, department, staff, design,
        payment_type, sales_order, purchase_order, "transaction" TO doctor_extract`);
      await admin.query(sql.unsafe`ALTER TABLE design RENAME TO design_archive`);
    } finally {
      await admin.end();
    }
    const sqs = new SQSClient({
      region: 'eu-west-2',
      endpoint: runtime.endpoints.sqs,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'totes-load-dlq' }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    } finally {
      sqs.destroy();
    }
    const extractUrl = new URL(runtime.sourceUrl);
    extractUrl.username = 'doctor_extract';
    extractUrl.password = 'doctor';

    const run = await runTotes([
      'doctor',
      '--state-dir',
      stateDir,
      '--source-url',
      extractUrl.toString(),
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('totes: some checks failed (see the fixes above)');
    const report = parse(run);
    expect(report.ok).toBe(false);

    expect(byName(report, 'source SELECT grants')).toMatchObject({
      status: 'FAIL',
      detail: 'doctor_extract cannot SELECT payment',
      fix: 'GRANT SELECT ON "payment" TO "doctor_extract";',
    });
    expect(byName(report, 'source sessions visible')).toMatchObject({
      status: 'WARN',
      fix: expect.stringContaining('GRANT pg_read_all_stats TO "doctor_extract";'),
    });
    expect(byName(report, 'source tables')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('missing for doctor_extract: design'),
    });
    const columns = byName(report, 'source columns');
    expect(columns.status).toBe('FAIL');
    expect(columns.detail).toContain(
      'table design is missing from the source, and design_archive has its columns (renamed?)',
    );
    expect(columns.fix).toContain('ALTER TABLE design_archive RENAME TO design');
    expect(byName(report, 'DLQ totes-load-dlq')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('does not exist'),
      fix: expect.stringContaining(`npx totes start --state-dir ${stateDir}`),
    });
    expect(byName(report, 'redrive totes-load → totes-load-dlq')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('totes-load-dlq does not exist'),
    });
    // Every WARN and FAIL carries a fix; what is fine stays OK.
    for (const check of report.checks.filter((c) => c.status !== 'OK')) expect(check.fix).toBeTruthy();
    expect(byName(report, 'DLQ totes-transform-dlq').status).toBe('OK');
    expect(byName(report, 'warehouse rights').status).toBe('OK');

    // The same faults in text: one line each, with the fix.
    const text = await runTotes(['doctor', '--state-dir', stateDir, '--source-url', extractUrl.toString()]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'FAIL  source SELECT grants: doctor_extract cannot SELECT payment — fix: GRANT SELECT ON "payment" TO "doctor_extract";',
    );
    expect(text.stdout).toMatch(/^FAIL {2}DLQ totes-load-dlq: does not exist: .* — fix: /m);
    expect(text.stdout).toMatch(/^WARN {2}source sessions visible: .* — fix: GRANT pg_read_all_stats/m);
  });

  it('a stopped stack is inspected as it is on disk: nothing recreated, the missing DLQ still reported', async () => {
    const pid = stack.child.process.pid as number;
    stack.child.kill('SIGINT');
    // Stopping the stack stops its embedded PostgreSQL too: slow on a loaded machine.
    const deadline = Date.now() + 180_000;
    while (groupAlive(pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(groupAlive(pid)).toBe(false);
    for (let i = 0; i < 2; i += 1) {
      const run = await runTotes(['doctor', '--state-dir', stateDir, '--json']);
      expect(run.code).toBe(1);
      const report = parse(run);
      expect(byName(report, 'DLQ totes-load-dlq').status).toBe('FAIL');
      expect(byName(report, 'source tables').detail).toContain('design');
      expect(byName(report, 'warehouse migrations').status).toBe('OK');
    }
  });
});
