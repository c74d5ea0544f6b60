// Every call to /api goes through one Session: it adds the access token,
// refreshes it once for all callers (one refresh in flight per tab, and a
// Web Lock across tabs, since presenting a used-up refresh token revokes
// the whole sign-in), retries a request once after a 401, and turns error
// bodies into ApiError.
import type { User } from './types';

export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;
  retryAfter?: number;
  constructor(status: number, code: string, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

export const EXPIRED_MESSAGE = 'Your session has expired. Please sign in again.';

/** What the app keeps of a sign-in (in localStorage, shared by tabs). */
export interface Tokens {
  access: string;
  refresh: string;
  /** ms since the epoch when the access token expires */
  expiresAt: number;
  /** the access token's lifetime in ms, as the server said */
  lifetime: number;
  user: User;
}

export interface SessionDeps {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** Runs fn while holding a lock shared with the other tabs. */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  now?: () => number;
}

const KEY = 'todo.session';

/** Words a person understands for an error the API or the network gave. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return 'Cannot reach the server. Check your connection and try again.';
    if (e.status === 429)
      return `Too many requests. Try again in ${e.retryAfter ?? 'a few'} seconds.`;
    if (e.status >= 500 && !e.message) return 'The server had a problem. Try again in a moment.';
    const m = e.message || 'Something went wrong.';
    // Capitalized unless it starts with a field name ("webhook_url must ...").
    const first = /^[a-z_]+_[a-z_]+\b/.test(m) ? m : m.charAt(0).toUpperCase() + m.slice(1);
    return first + (/[.!?]$/.test(m) ? '' : '.');
  }
  return e instanceof Error ? e.message : String(e);
}

/** Reads an error answer ({"error": {...}}) into an ApiError. */
export async function errorFrom(r: Response): Promise<ApiError> {
  let code = 'http_' + r.status;
  let message = '';
  let field: string | undefined;
  try {
    const b = await r.json();
    if (b && b.error) {
      code = b.error.code || code;
      message = b.error.message || '';
      field = b.error.field || undefined;
    }
  } catch {
    /* not JSON: keep the status */
  }
  if (!message) {
    if (r.status === 404) message = 'not found';
    else if (r.status >= 500) message = `the server answered ${r.status} ${r.statusText}`.trim();
    else message = `the request failed (${r.status})`;
  }
  const ra = Number(r.headers.get('Retry-After'));
  return new ApiError(r.status, code, message, field, ra > 0 ? ra : undefined);
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  keepalive?: boolean;
}

export class Session {
  private deps: SessionDeps;
  private refreshing: Promise<Tokens | null> | null = null;
  /** Called once the sign-in is gone (refresh refused), with why. */
  onExpired: (message: string) => void = () => {};
  /** Called whenever the stored sign-in changes in this tab. */
  onChange: (t: Tokens | null) => void = () => {};

  constructor(deps: SessionDeps) {
    this.deps = deps;
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** The stored sign-in, read afresh: another tab may have rotated it. */
  get tokens(): Tokens | null {
    try {
      const s = this.deps.storage.getItem(KEY);
      return s ? (JSON.parse(s) as Tokens) : null;
    } catch {
      return null;
    }
  }

  private save(t: Tokens | null) {
    if (t) this.deps.storage.setItem(KEY, JSON.stringify(t));
    else this.deps.storage.removeItem(KEY);
    this.onChange(t);
  }

  private fromAnswer(b: any): Tokens {
    const lifetime = Math.max(1, Number(b.expires_in) || 900) * 1000;
    return {
      access: b.access_token,
      refresh: b.refresh_token,
      expiresAt: this.now() + lifetime,
      lifetime,
      user: b.user,
    };
  }

  /** Refresh this long before expiry: a fifth of the lifetime, at most 30 s. */
  private margin(t: Tokens): number {
    return Math.min(30_000, t.lifetime / 5);
  }

  private fresh(t: Tokens): boolean {
    return t.expiresAt - this.now() > this.margin(t);
  }

  private async post(path: string, body: unknown): Promise<Response> {
    try {
      return await this.deps.fetch('/api' + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'cannot reach the server');
    }
  }

  private async signIn(path: string, email: string, password: string): Promise<User> {
    const r = await this.post(path, { email, password });
    if (!r.ok) throw await errorFrom(r);
    const t = this.fromAnswer(await r.json());
    this.save(t);
    return t.user;
  }

  login(email: string, password: string): Promise<User> {
    return this.signIn('/auth/login', email, password);
  }

  register(email: string, password: string): Promise<User> {
    return this.signIn('/auth/register', email, password);
  }

  async logout(): Promise<void> {
    const t = this.tokens;
    this.save(null);
    if (t) {
      // Revokes the sign-in on the server; signed out here whatever it says.
      await this.post('/auth/logout', { refresh_token: t.refresh }).catch(() => undefined);
    }
  }

  /** Forgets the sign-in and says why (expired or refused). */
  expire(message = EXPIRED_MESSAGE) {
    if (this.tokens) this.save(null);
    this.onExpired(message);
  }

  /**
   * A new access token, one refresh for every caller at once. stale is the
   * access token that was refused: when the stored one differs and is
   * fresh, another request or tab has refreshed already and that one is
   * used. Resolves null when the sign-in is gone (after onExpired); throws
   * an ApiError when the server could not be asked (the sign-in is kept).
   */
  refresh(stale?: string): Promise<Tokens | null> {
    if (this.refreshing) return this.refreshing;
    const run = async (): Promise<Tokens | null> => {
      const cur = this.tokens;
      if (!cur) return null;
      if (cur.access !== stale && this.fresh(cur)) return cur;
      const r = await this.post('/auth/refresh', { refresh_token: cur.refresh });
      if (r.status === 401 || r.status === 400) {
        // Used up, revoked or expired: unless another tab rotated it
        // meanwhile, the sign-in is over.
        const now = this.tokens;
        if (now && now.refresh !== cur.refresh) return now;
        this.expire();
        return null;
      }
      if (!r.ok) throw await errorFrom(r);
      const t = this.fromAnswer(await r.json());
      this.save(t);
      return t;
    };
    const lock = this.deps.lock;
    this.refreshing = (lock ? lock('todo-refresh', run) : run()).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** A usable access token (refreshed first when near expiry), or null. */
  async accessToken(): Promise<string | null> {
    const t = this.tokens;
    if (!t) return null;
    if (this.fresh(t)) return t.access;
    const n = await this.refresh(t.access);
    return n ? n.access : null;
  }

  /** fetch for /api paths with the token; one retry after a 401. */
  async fetch(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const send = async (token: string) => {
      const headers: Record<string, string> = { Authorization: 'Bearer ' + token, ...o.headers };
      let body: string | undefined;
      if (o.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(o.body);
      }
      try {
        return await this.deps.fetch('/api' + path, {
          method,
          headers,
          body,
          signal: o.signal,
          keepalive: o.keepalive,
        });
      } catch (e) {
        if ((e as Error)?.name === 'AbortError') throw e;
        throw new ApiError(0, 'network', 'cannot reach the server');
      }
    };
    const token = await this.accessToken();
    if (!token) throw new ApiError(401, 'unauthenticated', EXPIRED_MESSAGE);
    let r = await send(token);
    if (r.status !== 401) return r;
    const t = await this.refresh(token);
    if (!t) throw new ApiError(401, 'unauthenticated', EXPIRED_MESSAGE);
    r = await send(t.access);
    if (r.status === 401) {
      this.expire();
      throw new ApiError(401, 'unauthenticated', EXPIRED_MESSAGE);
    }
    return r;
  }

  /** JSON in, JSON out; an error answer throws its ApiError. */
  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const r = await this.fetch(method, path, o);
    if (!r.ok) throw await errorFrom(r);
    if (r.status === 204) return undefined as T;
    return (await r.json()) as T;
  }
}

/** The browser's session: localStorage, window.fetch and Web Locks. */
export function browserSession(): Session {
  const locks = (navigator as any).locks;
  return new Session({
    fetch: (i, init) => fetch(i, init),
    storage: localStorage,
    lock: locks ? (name, fn) => locks.request(name, fn) : undefined,
  });
}
