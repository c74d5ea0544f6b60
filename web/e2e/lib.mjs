// Helpers of the browser suite: the API from Node (accounts, seed tasks),
// pages signed in as a user, axe-core checks, screenshots.
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const GATEWAY = (process.env.GATEWAY_URL || '').replace(/\/$/, '');
export const OUT = process.env.E2E_OUT || new URL('../build/e2e', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** A failure that only says ai-agent's endpoints are not there yet. */
export class NeedsAgent extends Error {}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let seq = 0;
export function uniqueEmail(tag) {
  return `web-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}@example.com`;
}

export async function api(method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(GATEWAY + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: r.status, headers: r.headers, json, text };
}

/** A new account through the API: {email, password, session}. */
export async function newUser(tag) {
  const email = uniqueEmail(tag);
  const password = 'a long passphrase ' + tag;
  const r = await api('POST', '/api/auth/register', { body: { email, password } });
  if (r.status !== 201) throw new Error(`register answered ${r.status}: ${r.text}`);
  return { email, password, session: r.json, token: r.json.access_token };
}

export async function createTask(user, fields) {
  const r = await api('POST', '/api/tasks', { token: user.token, body: fields });
  if (r.status !== 201) throw new Error(`create answered ${r.status}: ${r.text}`);
  return r.json;
}

export async function getTask(user, id) {
  return api('GET', '/api/tasks/' + id, { token: user.token });
}

export async function listTasks(user, query = '') {
  const r = await api('GET', '/api/tasks?limit=200' + (query ? '&' + query : ''), { token: user.token });
  if (r.status !== 200) throw new Error(`list answered ${r.status}: ${r.text}`);
  return r.json.items;
}

/** RFC 3339 with the local offset, as the app sends. */
export function local(d) {
  const p = (n) => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}

export function inputValue(d) {
  return local(d).slice(0, 16);
}

/** What the app stores of a sign-in, from a register/login answer. */
export function storedSession(s) {
  const lifetime = s.expires_in * 1000;
  return { access: s.access_token, refresh: s.refresh_token, expiresAt: Date.now() + lifetime, lifetime, user: s.user };
}

/**
 * A browser context signed in as user (when given): the stored sign-in is
 * put in place once, before the app's first load, never over a newer one.
 */
export async function open(t, user, opts = {}) {
  // bypassCSP: axe-core is injected as an inline script, which the
  // app's own Content-Security-Policy (rightly) refuses.
  const ctx = await t.browser.newContext({ baseURL: GATEWAY, viewport: { width: 1280, height: 860 }, bypassCSP: true, ...opts });
  t.contexts.push(ctx);
  if (user) {
    await ctx.addInitScript((s) => {
      if (!localStorage.getItem('todo.session')) localStorage.setItem('todo.session', s);
    }, JSON.stringify(storedSession(user.session)));
  }
  const page = await ctx.newPage();
  t.watch(page);
  return { ctx, page };
}

export async function newPage(t, ctx) {
  const page = await ctx.newPage();
  t.watch(page);
  return page;
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function axe(t, page, what) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.addScriptTag({ content: AXE });
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.axeRuns.push({ what, violations: res.length, bad: bad.length });
  if (bad.length) throw new Error(`axe on ${what}: ${bad.map((v) => `${v.id} (${v.impact}: ${v.help}) at ${v.nodes.join(', ')}`).join('; ')}`);
}

export function row(page, title) {
  return page.locator('#tasks li[data-id]', { has: page.locator('.title', { hasText: title }) });
}

export async function waitFor(fn, what, timeout = 10000, every = 200) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ': ' + last.message : ''}`);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export function shotPath(n, name) {
  return join(OUT, `${String(n).padStart(2, '0')}-${name}.png`);
}

/** An extra screenshot of a view in the middle of a test (listed in the output). */
export async function snap(t, page, name) {
  const p = join(OUT, name + '.png');
  await page.screenshot({ path: p });
  t.note('screenshot: ' + p);
}
