/**
 * The console's HTTP server: node:http, server-rendered pages, no framework (six routes do not
 * need one, and nothing has to be built or shipped to the browser but one CSS and one small
 * script). Routing, the security checks (security.ts) and error pages live here; what a page
 * shows lives in pages/, where its numbers come from in readers/ behind the target.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsErrorLine } from '../ops/aws-errors.ts';
import { OpsUsageError, RedriveInterruptedError } from '../ops/dlq/index.ts';
import { toCsv } from './csv.ts';
import { errorLine } from './error-line.ts';
import { html, type SafeHtml } from './html.ts';
import { HttpError, type Reply, readForm, securityHeaders } from './http-util.ts';
import { InputError, parseCurrency, parseDateRange, parseMessageId, parseQueueName } from './inputs.ts';
import {
  confirmBody,
  type DlqAction,
  deadLettersLive,
  purgeResultBody,
  redriveResultBody,
} from './pages/dead-letters-page.ts';
import { layout, type PageId, type PageOptions } from './pages/layout.ts';
import { pipelineLive } from './pages/pipeline-page.ts';
import { runbookBody } from './pages/runbook-page.ts';
import { warehouseForm, warehouseLive } from './pages/warehouse-page.ts';
import type { ViewFilters } from './readers/warehouse-views.ts';
import { viewById } from './readers/warehouse-views.ts';
import { SecretScrubber } from './redact.ts';
import { ConsoleSecurity, type Session } from './security.ts';
import type { ConsoleTarget } from './target.ts';

export const DEFAULT_CONSOLE_HOST = '127.0.0.1';

/** What the Warehouse page (and its downloads) say when the target has no warehouse. */
export const NO_WAREHOUSE =
  'This console has no warehouse to read: give --warehouse-url (or WAREHOUSE_URL) with a URL reachable from here, e.g. through a tunnel to the deployment’s database';
export const DEFAULT_CONSOLE_PORT = 7717;

export interface ConsoleServerOptions {
  readonly target: ConsoleTarget;
  readonly host?: string;
  /** 0: any free port. */
  readonly port?: number;
  /** Required when `host` is not a loopback address. */
  readonly accessToken?: string | null;
  /** Literal secrets never to show (e.g. database passwords), beyond the patterns redact.ts knows. */
  readonly secrets?: SecretScrubber;
  readonly runbookFile?: string;
  /** How often the pages refresh their live part. */
  readonly refreshMs?: number;
}

export interface RunningConsole {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A setting that cannot work (non-loopback host without a token, port in use): one line for the CLI. */
export class ConsoleSetupError extends Error {
  override name = 'ConsoleSetupError';
}

/** The port is taken (another console, another program). */
export class PortInUseError extends ConsoleSetupError {
  override name = 'PortInUseError';
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/assets/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
};

export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsole> {
  const host = options.host ?? DEFAULT_CONSOLE_HOST;
  const token = options.accessToken ?? null;
  if (!LOOPBACK.has(host) && !token) {
    throw new ConsoleSetupError(
      `--host ${host} would let other machines in: give an access token too (--token or TOTES_CONSOLE_TOKEN)`,
    );
  }
  if (token !== null && token.length < 16) {
    throw new ConsoleSetupError('the access token must be at least 16 characters long');
  }
  const { target } = options;
  const security = new ConsoleSecurity({ accessToken: token });
  const scrubber = options.secrets ?? new SecretScrubber(token ? [token] : []);
  const refreshMs = options.refreshMs ?? 5000;
  const assets = new Map(
    Object.entries(ASSETS).map(([path, a]) => [
      path,
      { type: a.type, body: readFileSync(new URL(`./assets/${a.file}`, import.meta.url), 'utf8') },
    ]),
  );
  const css = readFileSync(new URL('./assets/console.css', import.meta.url), 'utf8');
  const headers = securityHeaders(`sha256-${createHash('sha256').update(css).digest('base64')}`);
  const runbookFile = options.runbookFile ?? new URL('../../../RUNBOOK.md', import.meta.url).pathname;
  const targetLine = `${target.kind === 'aws' ? 'AWS' : 'local'} · ${target.description}`;

  const page = (
    id: PageId,
    title: string,
    body: SafeHtml,
    extra: Pick<PageOptions, 'before' | 'live'> = {},
  ) => layout({ page: id, title, target: targetLine, body, css, ...extra }).text;

  const filtersFrom = async (
    params: URLSearchParams,
  ): Promise<{ filters: ViewFilters; currencies: string[] }> => {
    const warehouse = target.warehouse;
    if (!warehouse) throw new HttpError(404, NO_WAREHOUSE);
    const range = parseDateRange(params);
    const currencies = await warehouse.currencies();
    const asked = parseCurrency(params.get('currency'));
    if (asked && !currencies.includes(asked)) {
      throw new InputError(
        `currency: the warehouse has no ${asked} (it has ${currencies.join(', ') || 'none yet'})`,
      );
    }
    const currency = asked ?? (currencies.includes('GBP') ? 'GBP' : (currencies[0] ?? 'GBP'));
    return { filters: { ...range, currency }, currencies };
  };

  // A snapshot is rendered once, however many pages poll it (snapshots are immutable objects;
  // the warehouse's is a pair: its views and its table counts).
  const rendered = new WeakMap<object, WeakMap<object, SafeHtml>>();
  function renderedOnce<T extends object>(
    snapshot: T,
    render: (snapshot: T) => SafeHtml,
    with_: object = snapshot,
  ): SafeHtml {
    let inner = rendered.get(snapshot);
    if (!inner) {
      inner = new WeakMap();
      rendered.set(snapshot, inner);
    }
    let html = inner.get(with_);
    if (!html) {
      html = render(snapshot);
      inner.set(with_, html);
    }
    return html;
  }

  async function route(request: IncomingMessage, url: URL, session: Session): Promise<Reply> {
    const method = request.method ?? 'GET';
    const path = url.pathname;
    const get = method === 'GET' || method === 'HEAD';
    const asset = assets.get(path);
    if (asset && get) return { type: asset.type, body: asset.body };
    if (path === '/' && get) return { status: 303, body: '', headers: { Location: '/pipeline' } };

    if (path === '/pipeline' || path === '/pipeline/live') {
      if (!get) throw new HttpError(405, 'this page only answers GET');
      const live = renderedOnce(await target.pipeline.read(), pipelineLive);
      if (path.endsWith('/live')) return { body: live.text };
      return {
        body: page('pipeline', 'Pipeline', live, { live: { url: '/pipeline/live', everyMs: refreshMs } }),
      };
    }

    if (path === '/dead-letters' || path === '/dead-letters/live') {
      if (!get) throw new HttpError(405, 'this page only answers GET');
      const live = deadLettersLive(await target.deadLetters.list(), new Date().toISOString());
      if (path.endsWith('/live')) return { body: live.text };
      // On AWS, looking at a DLQ receives its messages (no peek API): no automatic refresh there.
      return {
        body: page('dead-letters', 'Dead letters', live, {
          ...(target.kind === 'local' ? { live: { url: '/dead-letters/live', everyMs: refreshMs } } : {}),
        }),
      };
    }

    if (path === '/dead-letters/confirm') {
      if (!get) throw new HttpError(405, 'this page only answers GET');
      const action = url.searchParams.get('action');
      if (action !== 'redrive' && action !== 'purge') {
        throw new InputError('action: expected redrive or purge');
      }
      const queue = parseQueueName(url.searchParams.get('queue') ?? '');
      const message = url.searchParams.get('message');
      const messageId = message ? parseMessageId(message) : null;
      if (action === 'purge' && messageId) throw new InputError('purge takes a whole queue, not a message');
      const entry = await target.deadLetters.entry(queue);
      const body = confirmBody({
        action: action as DlqAction,
        queue,
        source: entry.source,
        messageId,
        depth: entry.depth,
        csrf: session.csrf,
      });
      return {
        body: page('dead-letters', action === 'purge' ? 'Purge a dead-letter queue' : 'Redrive', body),
      };
    }

    if (path === '/dead-letters/redrive' || path === '/dead-letters/purge') {
      if (method !== 'POST') throw new HttpError(405, 'actions are POST requests from the confirmation page');
      const form = await readForm(request);
      if (!security.mayChange(request, form)) {
        throw new HttpError(
          403,
          'refused: this request does not carry this session’s token (open the Dead letters page and confirm there)',
        );
      }
      const queue = parseQueueName(form.get('queue') ?? '');
      if (path.endsWith('/purge')) {
        const result = await target.deadLetters.purge(queue);
        return { body: page('dead-letters', 'Purged', purgeResultBody(result)) };
      }
      const message = form.get('message');
      const result = await target.deadLetters.redrive(queue, message ? parseMessageId(message) : null);
      return { body: page('dead-letters', 'Redriven', redriveResultBody(result)) };
    }

    if (path === '/warehouse' || path === '/warehouse/live') {
      if (!get) throw new HttpError(405, 'this page only answers GET');
      if (!target.warehouse) {
        const none = html`<section class="problems" id="no-warehouse" role="status"><p><strong>No warehouse configured.</strong> ${NO_WAREHOUSE}.</p></section>`;
        return { body: path.endsWith('/live') ? none.text : page('warehouse', 'Warehouse', none) };
      }
      const { filters, currencies } = await filtersFrom(url.searchParams);
      const warehouse = target.warehouse!;
      const [results, stats] = [await warehouse.views(filters), await warehouse.tables()];
      const at = results[0]?.readAt ?? new Date().toISOString();
      const live = renderedOnce(results, () => warehouseLive({ results, stats, filters, at }), stats);
      if (path.endsWith('/live')) return { body: live.text };
      const body = { form: warehouseForm(filters, currencies), live };
      const query = url.search;
      return {
        body: page('warehouse', 'Warehouse', body.live, {
          before: body.form,
          live: { url: `/warehouse/live${query}`, everyMs: Math.max(refreshMs, 15_000) },
        }),
      };
    }

    const csv = /^\/warehouse\/([a-z-]+)\.csv$/.exec(path);
    if (csv) {
      if (!get) throw new HttpError(405, 'downloads only answer GET');
      const view = viewById(csv[1] ?? '');
      if (!view) throw new HttpError(404, `no warehouse view named ${csv[1]}`);
      const { filters } = await filtersFrom(url.searchParams);
      const [result] = await target.warehouse!.views(filters, view);
      return {
        type: 'text/csv; charset=utf-8',
        body: toCsv(view.columns, result?.rows ?? []),
        headers: { 'Content-Disposition': `attachment; filename="${view.id}.csv"` },
      };
    }

    if (path === '/runbook') {
      if (!get) throw new HttpError(405, 'this page only answers GET');
      return { body: page('runbook', 'Runbook', runbookBody(readFileSync(runbookFile, 'utf8'))) };
    }
    throw new HttpError(404, `nothing at ${path}`);
  }

  function errorReply(error: unknown): Reply {
    let status = 500;
    let message = errorLine(error);
    if (error instanceof HttpError) status = error.status;
    else if (error instanceof InputError || error instanceof OpsUsageError) status = 400;
    else if (error instanceof RedriveInterruptedError) status = 409;
    else if (awsErrorLine(error) !== undefined) status = 502;
    else if (!(error instanceof Error)) message = 'unexpected error';
    const title = status === 403 ? 'Refused' : status >= 500 ? 'Could not answer' : 'Cannot do that';
    return {
      status,
      body: page(
        'error',
        title,
        html`<section class="error" role="alert"><p>${message}</p><p><a href="/pipeline">Pipeline</a> · <a href="/dead-letters">Dead letters</a> · <a href="/warehouse">Warehouse</a></p></section>`,
      ),
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://console.invalid');
    const send = (reply: Reply, cookies: readonly string[] = []) => {
      const body = reply.type?.startsWith('text/csv') ? reply.body : scrubber.scrub(reply.body);
      response.writeHead(reply.status ?? 200, {
        ...headers,
        'Content-Type': reply.type ?? 'text/html; charset=utf-8',
        ...(cookies.length ? { 'Set-Cookie': [...cookies] } : {}),
        ...reply.headers,
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    const access = security.access(request, url);
    if (access.kind === 'deny') {
      send({ status: access.status, type: 'text/plain; charset=utf-8', body: `${access.message}\n` });
      return;
    }
    if (access.kind === 'redirect') {
      send({ status: 303, body: '', headers: { Location: access.location } }, [access.setCookie]);
      return;
    }
    const session = security.session(request);
    const cookies = session.setCookie ? [session.setCookie] : [];
    try {
      send(await route(request, url, session), cookies);
    } catch (error) {
      if (!(error instanceof HttpError || error instanceof InputError || error instanceof OpsUsageError)) {
        process.stderr.write(
          `totes console: ${request.method} ${url.pathname}: ${scrubber.scrub(errorLine(error))}\n`,
        );
      }
      send(errorReply(error), cookies);
    }
  }

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConsoleSetupError(
              `port ${options.port ?? DEFAULT_CONSOLE_PORT} on ${host} is in use (give --port)`,
            )
          : error,
      ),
    );
    server.listen(options.port ?? DEFAULT_CONSOLE_PORT, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  security.listeningOn(host, port);
  // Read once now, so the first page opened paints from a snapshot instead of waiting for it.
  void (async () => {
    await target.pipeline.read();
    if (target.warehouse) {
      const { filters } = await filtersFrom(new URLSearchParams());
      await target.warehouse.views(filters);
      await target.warehouse.tables();
    }
  })().catch(() => {});
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
