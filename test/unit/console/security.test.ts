import type { IncomingMessage } from 'node:http';
import { ConsoleSecurity, SESSION_COOKIE } from '../../../services/tools/console/security.ts';

const request = (headers: Record<string, string>, method = 'GET') =>
  ({ headers, method }) as unknown as IncomingMessage;

describe('console security', () => {
  const loopback = () => {
    const security = new ConsoleSecurity({});
    security.listeningOn('127.0.0.1', 7717);
    return security;
  };

  it('answers only to its own host names (no DNS rebinding)', () => {
    const security = loopback();
    const url = new URL('http://x/pipeline');
    expect(security.access(request({ host: '127.0.0.1:7717' }), url).kind).toBe('allow');
    expect(security.access(request({ host: 'localhost:7717' }), url).kind).toBe('allow');
    expect(security.access(request({ host: 'evil.example:7717' }), url)).toMatchObject({
      kind: 'deny',
      status: 421,
    });
    expect(security.access(request({}), url)).toMatchObject({ kind: 'deny', status: 421 });
  });

  it('a state change needs the session cookie, its token and no foreign Origin', () => {
    const security = loopback();
    const fresh = security.session(request({ host: '127.0.0.1:7717' }));
    expect(fresh.setCookie).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
    );
    const cookie = `${SESSION_COOKIE}=${fresh.id}`;
    const again = security.session(request({ cookie }));
    expect(again).toEqual({ id: fresh.id, setCookie: null, csrf: fresh.csrf });
    const form = (csrf?: string) =>
      new URLSearchParams(csrf === undefined ? { queue: 'q' } : { queue: 'q', csrf });

    expect(
      security.mayChange(request({ cookie, origin: 'http://127.0.0.1:7717' }, 'POST'), form(fresh.csrf)),
    ).toBe(true);
    expect(security.mayChange(request({ cookie }, 'POST'), form(fresh.csrf))).toBe(true);
    expect(security.mayChange(request({ cookie }, 'POST'), form())).toBe(false);
    expect(security.mayChange(request({ cookie }, 'POST'), form('x'.repeat(43)))).toBe(false);
    expect(security.mayChange(request({}, 'POST'), form(fresh.csrf))).toBe(false);
    expect(security.mayChange(request({ cookie }, 'GET'), form(fresh.csrf))).toBe(false);
    expect(
      security.mayChange(request({ cookie, origin: 'http://evil.example' }, 'POST'), form(fresh.csrf)),
    ).toBe(false);
    expect(security.mayChange(request({ cookie, origin: 'null' }, 'POST'), form(fresh.csrf))).toBe(false);
    // Another session's token does not fit this session.
    const other = security.session(request({}));
    expect(security.mayChange(request({ cookie }, 'POST'), form(other.csrf))).toBe(false);
    // Tokens are per process: a restarted console does not accept the old ones.
    const restarted = new ConsoleSecurity({});
    restarted.listeningOn('127.0.0.1', 7717);
    expect(restarted.mayChange(request({ cookie }, 'POST'), form(fresh.csrf))).toBe(false);
  });

  it('with an access token: bearer, or ?token= once, swapped for a cookie that is not the token', () => {
    const token = 'a-long-enough-access-token';
    const security = new ConsoleSecurity({ accessToken: token });
    security.listeningOn('10.0.0.5', 7717);
    const host = '10.0.0.5:7717';
    expect(security.access(request({ host }), new URL('http://x/pipeline'))).toMatchObject({
      kind: 'deny',
      status: 401,
    });
    expect(
      security.access(request({ host, authorization: `Bearer ${token}` }), new URL('http://x/')).kind,
    ).toBe('allow');
    expect(security.access(request({ host, authorization: 'Bearer wrong' }), new URL('http://x/')).kind).toBe(
      'deny',
    );
    const decision = security.access(
      request({ host }),
      new URL(`http://x/warehouse?currency=EUR&token=${token}`),
    );
    expect(decision).toMatchObject({ kind: 'redirect', location: '/warehouse?currency=EUR' });
    if (decision.kind !== 'redirect') throw new Error('expected a redirect');
    expect(decision.setCookie).not.toContain(token);
    const cookie = decision.setCookie.split(';')[0] ?? '';
    expect(security.access(request({ host, cookie }), new URL('http://x/pipeline')).kind).toBe('allow');
    expect(security.access(request({ host }), new URL('http://x/pipeline?token=wrong')).kind).toBe('deny');
  });

  it('on every interface (0.0.0.0): any host name, but the token is still needed and the Origin must be the Host', () => {
    const token = 'a-long-enough-access-token';
    const security = new ConsoleSecurity({ accessToken: token });
    security.listeningOn('0.0.0.0', 7717);
    const host = 'build-box.lan:7717';
    expect(security.access(request({ host }), new URL('http://x/'))).toMatchObject({
      kind: 'deny',
      status: 401,
    });
    expect(
      security.access(request({ host, authorization: `Bearer ${token}` }), new URL('http://x/')).kind,
    ).toBe('allow');
    const session = security.session(request({}));
    const cookie = `${SESSION_COOKIE}=${session.id}`;
    const form = new URLSearchParams({ csrf: session.csrf });
    expect(security.mayChange(request({ host, cookie, origin: `http://${host}` }, 'POST'), form)).toBe(true);
    expect(security.mayChange(request({ host, cookie, origin: 'http://evil.example' }, 'POST'), form)).toBe(
      false,
    );
  });
});
