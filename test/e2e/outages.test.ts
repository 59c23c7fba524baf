/**
 * Source and warehouse outages through the local runtime (issue 9). Each database is reached
 * through a TCP proxy on 127.0.0.1 that the test stops (listener closed, every connection cut:
 * clients see ECONNREFUSED / a terminated connection) and starts again on the same port, so the
 * shared embedded PostgreSQL itself is never touched.
 *
 * - Source down during extract: the extract invocation fails (`runOnce` status 'failed', the
 *   runtime's extract error counter — Lambda Errors on AWS), the heartbeat alarm is in ALARM; the
 *   next run after recovery extracts everything and the warehouse reconciles.
 * - Warehouse down during load: each load attempt retries its transient error inside the
 *   invocation, the record fails, comes back, and after maxReceiveCount rests in the load DLQ with
 *   TransientLoadError recorded; after recovery a redrive completes the load: reconcile ok, no fact
 *   version missing or doubled.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import { dlqDepths, runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { type AlarmState, evaluateAlarms } from '../../services/tools/ops/alarms/index.ts';
import { localTarget, type OpsTarget, redrive, showDlq } from '../../services/tools/ops/dlq/index.ts';
import { reconcile, renderReconcileReport } from '../../services/tools/ops/reconcile/index.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/** A TCP proxy to a database that can be taken down and brought back on the same port. */
class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  private readonly targetHost: string;
  private readonly targetPort: number;

  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Down: no new connection is accepted and every open one is cut. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }
}

function proxyFor(url: string): TcpProxy {
  const parsed = new URL(url);
  return new TcpProxy(parsed.hostname || '127.0.0.1', Number(parsed.port || 5432));
}

const stateOf = (states: AlarmState[], id: string) => states.find((s) => s.id === id)?.state;

describe('outages: source down during extract, warehouse down during load', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let sourceProxy: TcpProxy;
  let warehouseProxy: TcpProxy;
  let stateDir: string;
  let logFile: string;
  let stack: LocalStack;

  async function expectExactWarehouse(): Promise<void> {
    const result = await reconcile(source.pool, warehouse.pool);
    if (!result.ok) throw new Error(renderReconcileReport(result));
    expect(result.ok).toBe(true);
    const doubled = await warehouse.pool.oneFirst(sql.unsafe`
      SELECT count(*) FROM (SELECT 1 FROM "fact_sales_order"
        GROUP BY "sales_order_id", "last_updated_date", "last_updated_time" HAVING count(*) > 1) d`);
    expect(Number(doubled)).toBe(0);
    const versions = await source.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "sales_order"`);
    const loaded = await warehouse.pool.oneFirst(
      sql.unsafe`SELECT count(DISTINCT "sales_order_id") FROM "fact_sales_order"`,
    );
    expect(Number(loaded)).toBe(Number(versions));
  }

  beforeAll(async () => {
    source = await createTestDatabase('outage_source');
    warehouse = await createTestDatabase('outage_warehouse');
    await seedSource(source.pool, { scale: 0.02, seed: 9 });
    sourceProxy = proxyFor(source.url);
    warehouseProxy = proxyFor(warehouse.url);
    await sourceProxy.start();
    await warehouseProxy.start();
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-outages-'));
    logFile = path.join(stateDir, 'pipeline.log');
    stack = await LocalStack.start({
      stateDir,
      sourceUrl: sourceProxy.url(source.url),
      warehouseUrl: warehouseProxy.url(warehouse.url),
      retryDelaySeconds: 1,
      timeouts: { extract: 60, transform: 30, load: 30 },
      logFile,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    // The handlers' container pools (imported only now: the stack loads the handlers itself).
    await (await import('../../services/lambdas/extract/handler.ts')).closeSourcePool();
    await (await import('../../services/lambdas/load/warehouse-pool.ts')).closeWarehousePool();
    await sourceProxy?.stop();
    await warehouseProxy?.stop();
    await source?.drop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('source down: the extract fails and the heartbeat alarm sees it; after recovery the next run catches up', async () => {
    await sourceProxy.stop();
    const down = await runOnce(stack);
    expect(down.status).toBe('failed');
    expect(down.extractError).toBeDefined();
    expect(down.failed).toBe(1);
    // The invocation failed (Lambda Errors on AWS; the runtime's counter locally).
    expect(stack.counters.extract.invocationErrors).toBe(1);
    expect(stack.counters.extract.lastError).toBe(down.extractError);
    // Nothing reached the lake or the warehouse.
    expect(Number(await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "fact_sales_order"`))).toBe(
      0,
    );
    const alarmed = await evaluateAlarms(stack);
    expect(stateOf(alarmed, 'extract-heartbeat')).toBe('ALARM');

    await sourceProxy.start();
    const recovered = await runOnce(stack);
    if (recovered.failed !== 0) throw new Error(`failed records: ${JSON.stringify(stack.counters)}`);
    expect(recovered.status).toBe('extracted');
    expect(Object.values(recovered.dlq).every((n) => n === 0)).toBe(true);
    await expectExactWarehouse();
    const ok = await evaluateAlarms(stack);
    expect(stateOf(ok, 'extract-heartbeat')).toBe('OK');
  });

  it('warehouse down: loads retry, rest in the DLQ with TransientLoadError; a redrive after recovery completes the load', async () => {
    await simulateEvents(source.pool, { events: 80, seed: 17 });
    const ledgerBefore = Number(
      await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger"`),
    );

    await warehouseProxy.stop();
    stack.startConsumers();
    const outcome = await stack.schedule.fire();
    expect(outcome.ok).toBe(true);
    // The source is up: the extract wrote a unit, which the load could not apply.
    const result = outcome.ok ? (outcome.result as { status?: string }) : undefined;
    expect(result?.status).toBe('extracted');
    await stack.waitUntilDrained(150_000);

    const depths = await dlqDepths(stack);
    const loadDlq = stack.resources.queues.load.dlqName;
    const inDlq = depths[loadDlq] ?? 0;
    expect(inDlq).toBeGreaterThan(0);
    expect(depths[stack.resources.queues.transform.dlqName]).toBe(0);
    expect(stack.counters.load.recordsFailed).toBeGreaterThanOrEqual(5 * inDlq);
    // Within each attempt the load retried the transient error before failing the record.
    expect(readFileSync(logFile, 'utf8')).toContain('transient warehouse error, retrying');

    const target: OpsTarget = localTarget({
      stateDir,
      endpoints: stack.aws.endpoints,
      region: stack.aws.region,
      resources: stack.resources,
      detach: async () => {},
    });
    try {
      const dlq = await target.dlq(loadDlq);
      const views = await showDlq(target, dlq, 50);
      expect(views).toHaveLength(inDlq);
      for (const view of views) {
        expect(view.receiveCount).toBeGreaterThanOrEqual(5);
        expect(view.failure?.errorClass).toBe('TransientLoadError');
        expect(view.failure?.errorMessage).toMatch(/failed \(transient after \d+ attempts\)/);
      }
      // Nothing of the run is in the warehouse (the load is atomic).
      expect(
        Number(await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger"`)),
      ).toBe(ledgerBefore);

      await warehouseProxy.start();
      const alarmed = await evaluateAlarms(stack);
      expect(stateOf(alarmed, 'load-dlq-messages-visible')).toBe('ALARM');

      const moved = await redrive(target, dlq);
      expect(moved.moved).toBe(inDlq);
      await stack.waitUntilDrained(120_000);
      expect((await dlqDepths(stack))[loadDlq]).toBe(0);
      expect(await target.failures.list('load')).toEqual([]);
    } finally {
      await target.close();
    }
    await expectExactWarehouse();
    const recovered = await evaluateAlarms(stack);
    expect(stateOf(recovered, 'load-dlq-messages-visible')).toBe('OK');
  });
});
