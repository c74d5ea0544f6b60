// The browser suite: playwright-core drives Debian's Chromium (browsers
// cannot be downloaded here) against a running stack at GATEWAY_URL. Each
// test runs in fresh browser contexts, ends with a screenshot of what the
// person sees (listed below), and fails on any console error or page error
// the app causes. Ends with "e2e: N passed, N failed".
//   GATEWAY_URL=http://127.0.0.1:18080 node e2e/run.mjs [name-filter]
import { chromium } from 'playwright-core';
import { GATEWAY, NeedsAgent, OUT, shotPath } from './lib.mjs';
import { tests } from './tests.mjs';

if (!GATEWAY) {
  console.error('e2e: set GATEWAY_URL (scripts/web-e2e.sh does)');
  process.exit(2);
}
const filter = process.argv[2] || '';
const skipAgent = process.env.E2E_SKIP_AGENT === '1';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// A browser whose network is closed must not try anything else: each
// launch gets a fresh, temporary --user-data-dir from Playwright itself.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: FLAGS,
});
console.log(`e2e: ${GATEWAY} in Chromium ${browser.version()}, screenshots in ${OUT}`);

const results = [];
const figures = [];
let n = 0;
for (const test of tests) {
  if (filter && !test.name.includes(filter)) continue;
  n++;
  const t = {
    browser,
    contexts: [],
    errors: [],
    notes: [],
    axeRuns: [],
    pages: [],
    figure: (s) => figures.push(s),
    note: (s) => t.notes.push(s),
    watch(page) {
      t.pages.push(page);
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        // Chromium reports every HTTP error answer of a fetch as a console
        // error; the app meets some on purpose (401 before a refresh, 412
        // conflicts, 404 of a missing endpoint): those are network answers,
        // not errors of the app, and are counted apart.
        if (/^Failed to load resource: the server responded with a status of/.test(m.text())) {
          t.notes.push('network: ' + m.text().replace(/^Failed to load resource: /, '') + ' ' + (m.location()?.url ?? ''));
          return;
        }
        t.errors.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => t.errors.push(`page error: ${e.message}`));
    },
  };
  const started = Date.now();
  let error = null;
  try {
    await test.fn(t);
    if (t.errors.length) throw new Error(t.errors.join('\n'));
  } catch (e) {
    error = e;
  }
  const shot = shotPath(n, test.name);
  const page = t.shotPage ?? t.pages[t.pages.length - 1];
  let shotOk = false;
  if (page && !page.isClosed()) {
    try {
      await page.screenshot({ path: shot, fullPage: false });
      shotOk = true;
    } catch {
      /* the page went away */
    }
  }
  for (const c of t.contexts) await c.close().catch(() => undefined);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const agent = error instanceof NeedsAgent;
  const status = !error ? 'ok' : agent && skipAgent ? 'skip' : 'not ok';
  results.push({ name: test.name, status, agent, error });
  console.log(`${status} ${n} - ${test.name} (${secs} s)${shotOk ? ' screenshot: ' + shot : ''}`);
  if (t.axeRuns.length) console.log(`    axe: ${t.axeRuns.map((a) => `${a.what} ${a.bad ? 'FAILED' : 'clean'}`).join(', ')}`);
  for (const s of t.notes) console.log('    note: ' + s);
  if (error) console.log('    ' + String(error.stack || error).split('\n').slice(0, 6).join('\n    '));
}
await browser.close();

const passed = results.filter((r) => r.status === 'ok').length;
const failed = results.filter((r) => r.status === 'not ok');
const skipped = results.filter((r) => r.status === 'skip').length;
for (const f of figures) console.log('e2e figure: ' + f);
const agentOnly = failed.filter((r) => r.agent);
if (agentOnly.length) console.log(`e2e: failing only because ai-agent's endpoints are missing: ${agentOnly.map((r) => r.name).join(', ')}`);
console.log(`e2e: ${passed} passed, ${failed.length} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed.length ? 1 : 0);
