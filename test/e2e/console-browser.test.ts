/**
 * Acceptance of issue 17 in a real browser (playwright-core driving the system's Chromium) on the
 * local stack: each page opens; the Warehouse page's numbers (tables, chart marks and CSV) equal
 * SQL written here independently; a unit poisoned by a CHECK constraint lands in the load DLQ and
 * shows with the database's reason on the Dead letters page; the cause is fixed, redrive is
 * clicked and confirmed, the DLQ empties and reconcile finds the warehouse exact; a POST without
 * the session's token is refused. Takes the screenshots shown in the README (docs/console-*.png):
 * into a temporary folder, or, to refresh the README's, into `TOTES_SCREENSHOTS_DIR` (e.g. `docs`),
 * so that a test run never rewrites tracked files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql } from 'slonik';
import {
  attachedFromLocalStack,
  openLocalTarget,
  stageActivityOf,
} from '../../services/tools/console/local-target.ts';
import { SecretScrubber } from '../../services/tools/console/redact.ts';
import { type RunningConsole, startConsoleServer } from '../../services/tools/console/server.ts';
import type { ConsoleTarget } from '../../services/tools/console/target.ts';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { reconcile, renderReconcileReport } from '../../services/tools/ops/reconcile/index.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { migrateWarehouse } from '../../shared/db/migrate.ts';
import { launchChromium } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const LOAD_DLQ = 'totes-load-dlq';
const CONSTRAINT = 'console_rejects_every_sale';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

type Cells = Record<string, string>[];

/** The rows of a table on the page, by each cell's data-key and exact data-value. */
async function tableRows(page: Page, selector: string): Promise<Cells> {
  return page.$$eval(`${selector} tbody tr`, (trs) =>
    trs.map((tr) =>
      Object.fromEntries(
        Array.from(tr.querySelectorAll('td')).map((td) => [td.dataset.key ?? '', td.dataset.value ?? '']),
      ),
    ),
  );
}

const asText = (rows: readonly unknown[]): Cells =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]),
    ),
  );

describe('web console in a real browser (issue 17)', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let stateDir: string;
  let stack: LocalStack;
  let target: ConsoleTarget;
  let server: RunningConsole;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Where the screenshots go (see the header). */
  let shots: string | undefined;
  let shotsAreTemporary = false;

  beforeAll(async () => {
    // The browser first: without one the test fails at once (it never skips).
    browser = await launchChromium();
    source = await createTestDatabase('console_source');
    warehouse = await createTestDatabase('console_warehouse');
    await seedSource(source.pool, { scale: 0.02, seed: 11 });
    await migrateWarehouse(warehouse.pool);
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-console-'));
    stack = await LocalStack.start({
      stateDir,
      sourceUrl: source.url,
      warehouseUrl: warehouse.url,
      retryDelaySeconds: 1,
    });
    const first = await runOnce(stack);
    expect(first.status).toBe('extracted');
    target = await openLocalTarget({
      stack: attachedFromLocalStack(stack),
      scheduleSeconds: 30,
      stageActivity: stageActivityOf(stack),
    });
    server = await startConsoleServer({
      target,
      port: 0,
      refreshMs: 1000,
      secrets: SecretScrubber.fromUrls([source.url, warehouse.url]),
    });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    const wanted = process.env.TOTES_SCREENSHOTS_DIR;
    if (wanted) {
      shots = path.resolve(REPO, wanted);
      mkdirSync(shots, { recursive: true });
    } else {
      shots = mkdtempSync(path.join(tmpdir(), 'totes-console-shots-'));
      shotsAreTemporary = true;
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await target?.close();
    await stack?.stop();
    await source?.drop();
    await warehouse?.drop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    if (shots && shotsAreTemporary) rmSync(shots, { recursive: true, force: true });
  });

  it('Pipeline: the flow with live numbers, every alarm with its runbook section, throughput as chart + table; refreshes itself', async () => {
    await page.goto(`${server.url}pipeline`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Pipeline');
    const hops = await page.$$eval('.flow .hop', (els) => els.map((e) => (e as HTMLElement).dataset.hop));
    expect(hops).toEqual([
      'schedule',
      'extract',
      'ingestion',
      'transform-queue',
      'transform',
      'processed',
      'load-queue',
      'load',
      'warehouse',
    ]);
    const facts = Number(
      await warehouse.pool.oneFirst(sql.unsafe`
        SELECT (SELECT count(*) FROM "fact_sales_order") + (SELECT count(*) FROM "fact_purchase_order")
             + (SELECT count(*) FROM "fact_payment")`),
    );
    const shownFacts = await page.locator('[data-key="warehouse-facts"]').textContent();
    expect(Number(shownFacts?.replace(/,/g, ''))).toBe(facts);
    const units = Number(
      await warehouse.pool.oneFirst(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger"`),
    );
    expect(
      Number((await page.locator('[data-key="warehouse-units"]').textContent())?.replace(/,/g, '')),
    ).toBe(units);
    await expect(page.locator('[data-key="load-dlq"]').textContent()).resolves.toBe('0');
    await expect(page.locator('[data-key="extract-status"]').textContent()).resolves.toBe('extracted');
    // Every local alarm, OK, each linking to an anchor the runbook page has.
    const alarms = await page.$$eval('#alarms tbody tr', (trs) =>
      trs.map((tr) => ({
        name: (tr as HTMLElement).dataset.alarm,
        state: tr.querySelector('[data-key="alarm-state"]')?.textContent,
        href: tr.querySelector('a')?.getAttribute('href'),
      })),
    );
    expect(alarms.length).toBeGreaterThanOrEqual(6);
    expect(alarms.filter((a) => a.state !== 'OK')).toEqual([]);
    // The throughput chart and its table agree, and the table sums to what the ledger says.
    const minutes = await tableRows(page, '#throughput table');
    expect(minutes).toHaveLength(60);
    const rowsLastHour = await warehouse.pool.oneFirst(sql.unsafe`
      SELECT coalesce(sum((t.value->>'inserted')::int + (t.value->>'updated')::int), 0)
      FROM "pipeline"."load_ledger" l, jsonb_each(l."rows") t
      WHERE l."applied_at" >= date_trunc('minute', now()) - interval '59 minutes'`);
    expect(minutes.reduce((sum, m) => sum + Number(m.rows), 0)).toBe(Number(rowsLastHour));
    const marks = await page.$$eval('#throughput svg .mark', (els) =>
      els.map((e) => (e as SVGElement).dataset.value),
    );
    expect(marks).toEqual([...minutes].reverse().map((m) => m.rows));
    await page.screenshot({ path: path.join(shots!, 'console-pipeline.png'), fullPage: true });

    // Updates without a reload: the live part is fetched again and swapped in.
    const before = await page.locator('#live').getAttribute('data-refreshed');
    await page.waitForFunction(
      (old) => document.getElementById('live')?.dataset.refreshed !== (old ?? undefined),
      before,
    );

    // Keyboard: the first Tab reaches the skip link, drawn with a visible focus ring.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
    });
    expect(focused).toEqual({ text: 'Skip to content', outline: 'solid' });

    const firstLink = alarms[0]?.href ?? '';
    expect(firstLink).toMatch(/^\/runbook#[a-z-]+$/);
    await page.click(`a[href="${firstLink}"]`);
    await expect(page.locator(`[id="${firstLink.split('#')[1]}"]`).count()).resolves.toBe(1);
  });

  it('Warehouse: every view (table, chart marks, CSV) equals SQL on the warehouse; row counts and last load per table; dates validated', async () => {
    await page.goto(`${server.url}warehouse`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Warehouse');
    const latestSales = sql.fragment`(SELECT f.* FROM "fact_sales_order" f WHERE NOT EXISTS (
      SELECT 1 FROM "fact_sales_order" g WHERE g."sales_order_id" = f."sales_order_id"
        AND (g."last_updated_date", g."last_updated_time") > (f."last_updated_date", f."last_updated_time")))`;
    const latestPurchases = sql.fragment`(SELECT f.* FROM "fact_purchase_order" f WHERE NOT EXISTS (
      SELECT 1 FROM "fact_purchase_order" g WHERE g."purchase_order_id" = f."purchase_order_id"
        AND (g."last_updated_date", g."last_updated_time") > (f."last_updated_date", f."last_updated_time")))`;
    const latestPayments = sql.fragment`(SELECT f.* FROM "fact_payment" f WHERE NOT EXISTS (
      SELECT 1 FROM "fact_payment" g WHERE g."payment_id" = f."payment_id"
        AND (g."last_updated_date", g."last_updated_time") > (f."last_updated_date", f."last_updated_time")))`;
    const expected: Record<string, Cells> = {
      'revenue-by-month': asText(
        await warehouse.pool.any(sql.unsafe`
          SELECT to_char(s."created_date", 'YYYY-MM') AS month, c."currency_code" AS currency,
                 count(*) AS orders, round(sum(s."units_sold" * s."unit_price"), 2)::text AS revenue
          FROM ${latestSales} s JOIN "dim_currency" c ON c."currency_id" = s."currency_id"
          GROUP BY 1, 2 ORDER BY 1, 2`),
      ),
      'top-designs': asText(
        await warehouse.pool.any(sql.unsafe`
          SELECT d."design_id" AS design_id, d."design_name" AS design, count(*) AS orders, sum(s."units_sold") AS units
          FROM ${latestSales} s JOIN "dim_design" d ON d."design_id" = s."design_id"
          GROUP BY 1, 2 ORDER BY 4 DESC, 1 LIMIT 10`),
      ),
      'sales-by-counterparty': asText(
        await warehouse.pool.any(sql.unsafe`
          SELECT p."counterparty_legal_name" AS counterparty, count(*) AS orders, sum(s."units_sold") AS units,
                 round(sum(s."units_sold" * s."unit_price"), 2)::text AS revenue
          FROM ${latestSales} s JOIN "dim_counterparty" p ON p."counterparty_id" = s."counterparty_id"
          WHERE s."currency_id" = (SELECT "currency_id" FROM "dim_currency" WHERE "currency_code" = 'GBP')
          GROUP BY p."counterparty_id", 1 ORDER BY sum(s."units_sold" * s."unit_price") DESC, 1 LIMIT 15`),
      ),
      'sales-by-place': asText(
        await warehouse.pool.any(sql.unsafe`
          SELECT l."city" AS city, l."country" AS country, count(*) AS orders, sum(s."units_sold") AS units,
                 round(sum(s."units_sold" * s."unit_price"), 2)::text AS revenue
          FROM ${latestSales} s JOIN "dim_location" l ON l."location_id" = s."agreed_delivery_location_id"
          WHERE s."currency_id" = (SELECT "currency_id" FROM "dim_currency" WHERE "currency_code" = 'GBP')
          GROUP BY 2, 1 ORDER BY sum(s."units_sold" * s."unit_price") DESC, 2, 1 LIMIT 15`),
      ),
      'purchases-vs-sales': asText(
        await warehouse.pool.any(sql.unsafe`
          WITH months AS (
            SELECT to_char("created_date", 'YYYY-MM') AS month FROM ${latestSales} x
            UNION SELECT to_char("created_date", 'YYYY-MM') FROM ${latestPurchases} y)
          SELECT m.month,
            (SELECT count(*) FROM ${latestSales} s WHERE to_char(s."created_date", 'YYYY-MM') = m.month) AS sales_orders,
            (SELECT coalesce(sum(s."units_sold"), 0) FROM ${latestSales} s WHERE to_char(s."created_date", 'YYYY-MM') = m.month) AS units_sold,
            (SELECT count(*) FROM ${latestPurchases} p WHERE to_char(p."created_date", 'YYYY-MM') = m.month) AS purchase_orders,
            (SELECT coalesce(sum(p."item_quantity"), 0) FROM ${latestPurchases} p WHERE to_char(p."created_date", 'YYYY-MM') = m.month) AS items_purchased
          FROM months m ORDER BY 1`),
      ),
      'payments-by-date': asText(
        await warehouse.pool.any(sql.unsafe`
          SELECT to_char(p."payment_date", 'YYYY-MM') AS month,
            sum(CASE WHEN p."paid" THEN 1 ELSE 0 END) AS paid_count,
            round(sum(CASE WHEN p."paid" THEN p."payment_amount" ELSE 0 END), 2)::text AS paid,
            sum(CASE WHEN p."paid" THEN 0 ELSE 1 END) AS due_count,
            round(sum(CASE WHEN p."paid" THEN 0 ELSE p."payment_amount" END), 2)::text AS due
          FROM ${latestPayments} p
          WHERE p."currency_id" = (SELECT "currency_id" FROM "dim_currency" WHERE "currency_code" = 'GBP')
          GROUP BY 1 ORDER BY 1`),
      ),
    };
    for (const [view, rows] of Object.entries(expected)) {
      expect(rows.length).toBeGreaterThan(0);
      const shown = await tableRows(page, `#${view}-table`);
      expect({ view, rows: shown }).toEqual({ view, rows });
      // The chart draws exactly the table's numbers.
      const marks = await page.$$eval(`#${view} svg .mark`, (els) =>
        els.map((e) => (e as SVGElement).dataset.value),
      );
      expect(marks.length).toBeGreaterThan(0);
      const tableValues = new Set(shown.flatMap((r) => Object.values(r)));
      for (const value of marks) expect(tableValues.has(value ?? '')).toBe(true);
      // The CSV download holds the same rows.
      const href = await page.locator(`#${view} a[download]`).getAttribute('href');
      const csv = await (await page.request.get(`${server.url}${href?.slice(1)}`)).text();
      const lines = csv.trim().split('\r\n');
      expect(lines).toHaveLength(rows.length + 1);
    }
    const stats = await tableRows(page, '#table-stats');
    for (const row of stats) {
      const count = await warehouse.pool.oneFirst(
        sql.unsafe`SELECT count(*) FROM ${sql.identifier([row.table ?? ''])}`,
      );
      expect(Number(row.rows)).toBe(Number(count));
    }
    expect(stats.find((s) => s.table === 'fact_sales_order')?.lastLoaded).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    );
    await page.screenshot({ path: path.join(shots!, 'console-warehouse.png'), fullPage: false });

    // Dates are validated with a clear message.
    const bad = await page.goto(`${server.url}warehouse?from=2024-02-30`);
    expect(bad?.status()).toBe(400);
    await expect(page.locator('.error').textContent()).resolves.toContain(
      '2024-02-30 is not a day of the calendar',
    );
    const filtered = await page.goto(`${server.url}warehouse?from=2024-01-01&to=2024-12-31&currency=EUR`);
    expect(filtered?.status()).toBe(200);
  });

  it('Dead letters: a poisoned unit shows with the database reason; a POST without the token is refused; fix, redrive (confirmed), DLQ empty, warehouse exact', async () => {
    await warehouse.pool.query(
      sql.unsafe`ALTER TABLE "fact_sales_order" ADD CONSTRAINT ${sql.identifier([CONSTRAINT])} CHECK ("units_sold" < 0) NOT VALID`,
    );
    await simulateEvents(source.pool, { events: 40, seed: 5 });
    const failing = await runOnce(stack);
    const inDlq = failing.dlq[LOAD_DLQ] ?? 0;
    expect(inDlq).toBeGreaterThan(0);

    const opened = await page.goto(`${server.url}dead-letters`);
    expect({
      status: opened?.status(),
      text: (await page.locator('main').innerText()).slice(0, 300),
    }).toEqual({
      status: 200,
      text: expect.stringContaining(LOAD_DLQ),
    });
    const section = page.locator(`section[data-queue="${LOAD_DLQ}"]`);
    await expect(section.locator('[data-key="depth"]').textContent()).resolves.toBe(String(inDlq));
    const reasons = await section.locator('[data-key="reason"]').allTextContents();
    expect(reasons).toHaveLength(inDlq);
    for (const reason of reasons) expect(reason).toContain(`violates check constraint "${CONSTRAINT}"`);
    const attempts = await section.locator('[data-key="attempts"]').allTextContents();
    for (const a of attempts) expect(Number(a)).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: path.join(shots!, 'console-dead-letters.png'), fullPage: false });

    // A POST without the session's token changes nothing: 403, from outside and from this browser.
    const outside = await fetch(`${server.url}dead-letters/redrive`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `queue=${LOAD_DLQ}`,
    });
    expect(outside.status).toBe(403);
    const noToken = await page.request.post(`${server.url}dead-letters/redrive`, {
      form: { queue: LOAD_DLQ },
    });
    expect(noToken.status()).toBe(403);
    const wrongToken = await page.request.post(`${server.url}dead-letters/purge`, {
      form: { queue: LOAD_DLQ, csrf: 'not-the-token' },
    });
    expect(wrongToken.status()).toBe(403);
    await page.goto(`${server.url}dead-letters`);
    await expect(section.locator('[data-key="depth"]').textContent()).resolves.toBe(String(inDlq));

    // Fix the cause, then redrive all from the page: button, confirmation, result.
    await warehouse.pool.query(
      sql.unsafe`ALTER TABLE "fact_sales_order" DROP CONSTRAINT ${sql.identifier([CONSTRAINT])}`,
    );
    // One message by its own button (its id travels to the confirmation and the POST) ...
    const firstRow = section.locator('tr[data-message]').first();
    const firstId = (await firstRow.getAttribute('data-message')) ?? '';
    await firstRow.getByRole('button', { name: 'Redrive' }).click();
    await page.waitForURL(/\/dead-letters\/confirm\?/);
    await expect(page.locator('.confirm').textContent()).resolves.toContain(
      `Send message ${firstId} of ${LOAD_DLQ} back to totes-load`,
    );
    // The confirm button has the focus: Enter confirms (keyboard-usable). Autofocus lands after the
    // page's load event, so the key waits for it (a busy machine pressed Enter before it landed).
    await page.waitForFunction(() => document.activeElement?.hasAttribute('autofocus') === true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/dead-letters\/redrive$/);
    await expect(page.locator('main').innerText()).resolves.toContain('Redriven: 1 message');
    // ... then all the others, if any, with "Redrive all".
    if (inDlq > 1) {
      await page.goto(`${server.url}dead-letters`);
      await section.getByRole('button', { name: 'Redrive all…' }).click();
      await page.waitForURL(/\/dead-letters\/confirm\?/);
      await expect(page.locator('.confirm').textContent()).resolves.toContain(
        `Send all ${inDlq - 1} message(s) of ${LOAD_DLQ}`,
      );
      await page.waitForFunction(() => document.activeElement?.hasAttribute('autofocus') === true);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/dead-letters\/redrive$/);
      await expect(page.locator('[data-key="moved"]').textContent()).resolves.toBe(String(inDlq - 1));
    }

    await stack.waitUntilDrained();
    await page.goto(`${server.url}dead-letters`);
    await expect(section.locator('[data-key="depth"]').textContent()).resolves.toBe('0');
    const result = await reconcile(source.pool, warehouse.pool);
    if (!result.ok) throw new Error(renderReconcileReport(result));
    expect(result.ok).toBe(true);
  });

  it('Dead letters: purge asks first, writes every message to a backup file, then empties the DLQ', async () => {
    await warehouse.pool.query(
      sql.unsafe`ALTER TABLE "fact_sales_order" ADD CONSTRAINT ${sql.identifier([CONSTRAINT])} CHECK ("units_sold" < 0) NOT VALID`,
    );
    await simulateEvents(source.pool, { events: 20, seed: 9 });
    const failing = await runOnce(stack);
    const inDlq = failing.dlq[LOAD_DLQ] ?? 0;
    expect(inDlq).toBeGreaterThan(0);
    await warehouse.pool.query(
      sql.unsafe`ALTER TABLE "fact_sales_order" DROP CONSTRAINT ${sql.identifier([CONSTRAINT])}`,
    );
    await page.goto(`${server.url}dead-letters`);
    const section = page.locator(`section[data-queue="${LOAD_DLQ}"]`);
    await section.getByRole('button', { name: 'Purge, with a backup…' }).click();
    await page.waitForURL(/\/dead-letters\/confirm\?/);
    // The focus starts on Cancel (a purge cannot be undone): Enter goes back, nothing happened.
    await page.waitForFunction(() => document.activeElement?.hasAttribute('autofocus') === true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/dead-letters$/);
    await expect(section.locator('[data-key="depth"]').textContent()).resolves.toBe(String(inDlq));
    await section.getByRole('button', { name: 'Purge, with a backup…' }).click();
    await page.getByRole('button', { name: 'Purge' }).click();
    await page.waitForURL(/\/dead-letters\/purge$/);
    await expect(page.locator('[data-key="deleted"]').textContent()).resolves.toBe(String(inDlq));
    const backupFile = (await page.locator('.result code').textContent()) ?? '';
    expect(backupFile.startsWith(path.join(stateDir, 'dlq-backups'))).toBe(true);
    const lines = readFileSync(backupFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(inDlq);
    expect(lines.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(lines.map(() => 'purge'));
    await page.goto(`${server.url}dead-letters`);
    await expect(section.locator('[data-key="depth"]').textContent()).resolves.toBe('0');
  });

  it('shows no secret: no database URL with its password reaches a page', async () => {
    for (const p of ['pipeline', 'dead-letters', 'warehouse', 'runbook']) {
      const body = await (await page.request.get(`${server.url}${p}`)).text();
      expect(body).not.toContain(warehouse.url);
      expect(body).not.toContain(source.url);
      expect(body).not.toMatch(/postgres(ql)?:\/\/[^\s:@/]+:[^*\s@]+@/);
    }
  });
});
