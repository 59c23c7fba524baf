/**
 * Who may talk to the console and which requests may change things.
 *
 * - Host check: the Host header must name the address the console listens on (or `localhost`
 *   for a loopback listener). A page on another site that points its own DNS name at 127.0.0.1
 *   (DNS rebinding) gets 421 and never reads a page, let alone the session token.
 * - Access token (required with a non-loopback `--host`): `Authorization: Bearer <token>`, or
 *   `?token=<token>` once, which sets an HttpOnly cookie holding an HMAC of the token (never the
 *   token itself) and redirects to the same URL without it, so the token leaves the address bar.
 * - CSRF: every state-changing request is a POST whose form carries `csrf`, an HMAC of the
 *   browser's session cookie (SameSite=Strict, HttpOnly) under a key that lives only in this
 *   process. Another site can neither read the value nor send the cookie: without both, 403.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'totes_console_session';
export const ACCESS_COOKIE = 'totes_console_access';

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const isLoopback = (host: string) => host === '127.0.0.1' || host === '::1' || host === 'localhost';

export interface Session {
  readonly id: string;
  /** Set-Cookie to send when the session is new. */
  readonly setCookie: string | null;
  /** The token every form of this session carries. */
  readonly csrf: string;
}

export type AccessDecision =
  | { readonly kind: 'allow' }
  | { readonly kind: 'redirect'; readonly location: string; readonly setCookie: string }
  | { readonly kind: 'deny'; readonly status: 401 | 421; readonly message: string };

export class ConsoleSecurity {
  readonly #key = randomBytes(32);
  readonly #accessToken: string | null;
  #hosts: Set<string> = new Set();
  /** Listening on every interface (0.0.0.0 / ::): any name may reach it; the token guards it. */
  #anyHost = false;

  constructor(options: { accessToken?: string | null | undefined }) {
    this.#accessToken = options.accessToken ? options.accessToken : null;
  }

  get requiresToken(): boolean {
    return this.#accessToken !== null;
  }

  /** Called once the listener has its port: the Host values the console answers to. */
  listeningOn(host: string, port: number): void {
    const names = isLoopback(host)
      ? ['127.0.0.1', 'localhost', '[::1]']
      : [host.includes(':') ? `[${host}]` : host];
    this.#hosts = new Set(names.map((name) => `${name}:${port}`.toLowerCase()));
    this.#anyHost = host === '0.0.0.0' || host === '::';
  }

  #mac(purpose: string, value: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\0${value}`).digest('base64url');
  }

  access(request: IncomingMessage, url: URL): AccessDecision {
    const host = (request.headers.host ?? '').toLowerCase();
    if (!this.#anyHost && !this.#hosts.has(host)) {
      return { kind: 'deny', status: 421, message: 'this console does not answer to that host name' };
    }
    if (this.#accessToken === null) return { kind: 'allow' };
    const expectedCookie = this.#mac('access', this.#accessToken);
    const cookie = parseCookies(request.headers.cookie).get(ACCESS_COOKIE);
    if (cookie && sameText(cookie, expectedCookie)) return { kind: 'allow' };
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (bearer && sameText(bearer, this.#accessToken)) return { kind: 'allow' };
    const given = url.searchParams.get('token');
    if (given && request.method === 'GET' && sameText(given, this.#accessToken)) {
      const clean = new URL(url);
      clean.searchParams.delete('token');
      return {
        kind: 'redirect',
        location: `${clean.pathname}${clean.search}`,
        setCookie: `${ACCESS_COOKIE}=${expectedCookie}; Path=/; HttpOnly; SameSite=Strict`,
      };
    }
    return {
      kind: 'deny',
      status: 401,
      message: 'this console needs its access token: open the URL it printed (with ?token=...)',
    };
  }

  session(request: IncomingMessage): Session {
    const existing = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) {
      return { id: existing, setCookie: null, csrf: this.#mac('csrf', existing) };
    }
    const id = randomBytes(32).toString('base64url');
    return {
      id,
      setCookie: `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`,
      csrf: this.#mac('csrf', id),
    };
  }

  /** True when a POST may change things: a session cookie and its form token, both matching. */
  mayChange(request: IncomingMessage, form: URLSearchParams): boolean {
    if (request.method !== 'POST') return false;
    const id = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    const token = form.get('csrf');
    if (!id || !token) return false;
    // A browser says where a POST comes from; anything but this console is refused outright.
    const origin = request.headers.origin;
    const from = origin?.replace(/^https?:\/\//, '').toLowerCase();
    const ours = this.#anyHost
      ? from === (request.headers.host ?? '').toLowerCase()
      : this.#hosts.has(from ?? '');
    if (origin !== undefined && !ours) {
      return false;
    }
    return sameText(token, this.#mac('csrf', id));
  }
}
