import { describe, expect, it } from 'vitest';
import { ApiError, EXPIRED_MESSAGE, Session } from '../src/lib/api';

/** A fake gateway: rotating refresh tokens (reuse revokes the family), and
 * one protected route that takes the newest access token only. */
function fakeServer(opts: { ttl?: number } = {}) {
  let n = 0;
  let access = '';
  let refresh = '';
  const used = new Set<string>();
  let revoked = false;
  const calls: string[] = [];
  const issue = () => {
    n++;
    access = 'acc' + n;
    refresh = 'ref' + n;
    return { user: { id: 'u', email: 'a@b.cd', created_at: '' }, access_token: access, token_type: 'Bearer', expires_in: opts.ttl ?? 900, refresh_token: refresh, refresh_expires_in: 604800 };
  };
  const json = (status: number, body: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  const fetch = async (url: string, init: RequestInit = {}) => {
    calls.push(`${init.method ?? 'GET'} ${url}`);
    await new Promise((r) => setTimeout(r, 1));
    if (url === '/api/auth/login') return json(200, issue());
    if (url === '/api/auth/refresh') {
      const t = JSON.parse(String(init.body)).refresh_token;
      if (revoked || used.has(t)) {
        revoked = true;
        return json(401, { error: { code: 'unauthenticated', message: 'refresh token used' } });
      }
      if (t !== refresh) return json(401, { error: { code: 'unauthenticated', message: 'unknown' } });
      used.add(t);
      return json(200, issue());
    }
    if (url === '/api/auth/logout') return json(204, undefined);
    const auth = (init.headers as Record<string, string>)?.Authorization;
    if (auth !== 'Bearer ' + access) return json(401, { error: { code: 'unauthenticated', message: 'token expired' } });
    if (url === '/api/boom') return json(422, { error: { code: 'unprocessable', message: 'title must not be blank', field: 'title' } });
    return json(200, { ok: true, token: access });
  };
  return {
    fetch,
    calls,
    expireAccess: () => {
      access = 'server-side-new-key';
    },
    get refreshes() {
      return calls.filter((c) => c.endsWith('/auth/refresh')).length;
    },
    get revoked() {
      return revoked;
    },
  };
}

function memStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

describe('Session', () => {
  it('signs in, sends the token, and keeps the sign-in in storage', async () => {
    const srv = fakeServer();
    const storage = memStorage();
    const s = new Session({ fetch: srv.fetch, storage });
    await s.login('a@b.cd', 'password1');
    expect(await s.json('GET', '/tasks')).toEqual({ ok: true, token: 'acc1' });
    // A new Session (a reload) finds it.
    const again = new Session({ fetch: srv.fetch, storage });
    expect(again.tokens?.access).toBe('acc1');
  });

  it('refreshes once for many requests refused at once, then retries them', async () => {
    const srv = fakeServer();
    const s = new Session({ fetch: srv.fetch, storage: memStorage() });
    await s.login('a@b.cd', 'password1');
    srv.expireAccess();
    const out = await Promise.all([1, 2, 3, 4, 5].map(() => s.json<{ token: string }>('GET', '/tasks')));
    expect(out.map((o) => o.token)).toEqual(['acc2', 'acc2', 'acc2', 'acc2', 'acc2']);
    expect(srv.refreshes).toBe(1);
    expect(srv.revoked).toBe(false);
  });

  it('refreshes before expiry without a refused request', async () => {
    let now = 1_000_000;
    const srv = fakeServer({ ttl: 20 });
    const s = new Session({ fetch: srv.fetch, storage: memStorage(), now: () => now });
    await s.login('a@b.cd', 'password1');
    now += 17_000; // within the last fifth of the lifetime
    expect(await s.json('GET', '/x')).toEqual({ ok: true, token: 'acc2' });
    expect(srv.calls.filter((c) => c === 'GET /api/x')).toHaveLength(1);
  });

  it('two tabs sharing storage never present the same refresh token twice', async () => {
    const srv = fakeServer();
    const storage = memStorage();
    let chain = Promise.resolve();
    // Web Locks stand-in: one holder at a time across "tabs".
    const lock = <T,>(_: string, fn: () => Promise<T>) => {
      const run = chain.then(fn);
      chain = run.then(() => undefined, () => undefined);
      return run;
    };
    const a = new Session({ fetch: srv.fetch, storage, lock });
    const b = new Session({ fetch: srv.fetch, storage, lock });
    await a.login('a@b.cd', 'password1');
    srv.expireAccess();
    const [x, y] = await Promise.all([a.json<{ token: string }>('GET', '/t'), b.json<{ token: string }>('GET', '/t')]);
    expect(x.token).toBe(y.token);
    expect(srv.refreshes).toBe(1);
    expect(srv.revoked).toBe(false);
  });

  it('a refused refresh ends the session with a message', async () => {
    const srv = fakeServer();
    const s = new Session({ fetch: srv.fetch, storage: memStorage() });
    let said = '';
    s.onExpired = (m) => (said = m);
    await s.login('a@b.cd', 'password1');
    const stale = s.tokens!;
    // Another client used the refresh token: ours is now a reuse.
    await srv.fetch('/api/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: stale.refresh }) });
    srv.expireAccess();
    const e: any = await s.json('GET', '/tasks').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(401);
    expect(said).toBe(EXPIRED_MESSAGE);
    expect(s.tokens).toBeNull();
  });

  it('turns error bodies into ApiError with the field', async () => {
    const srv = fakeServer();
    const s = new Session({ fetch: srv.fetch, storage: memStorage() });
    await s.login('a@b.cd', 'password1');
    const e: any = await s.json('POST', '/boom', { body: {} }).catch((x) => x);
    expect(e).toMatchObject({ status: 422, code: 'unprocessable', field: 'title', message: 'title must not be blank' });
  });

  it('a network failure is an ApiError with status 0 and keeps the sign-in', async () => {
    const srv = fakeServer();
    const storage = memStorage();
    let down = false;
    const s = new Session({ fetch: (u, i) => (down ? Promise.reject(new TypeError('failed')) : srv.fetch(u, i)), storage });
    await s.login('a@b.cd', 'password1');
    down = true;
    const e: any = await s.json('GET', '/tasks').catch((x) => x);
    expect(e.status).toBe(0);
    expect(s.tokens).not.toBeNull();
  });

  it('logout forgets the sign-in and tells the server', async () => {
    const srv = fakeServer();
    const s = new Session({ fetch: srv.fetch, storage: memStorage() });
    await s.login('a@b.cd', 'password1');
    await s.logout();
    expect(s.tokens).toBeNull();
    expect(srv.calls).toContain('POST /api/auth/logout');
  });
});
