// The scenarios of issue 11's "How it is tested", each as a person would
// do it in the browser, checked against the API behind it.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  GATEWAY, NeedsAgent, api, assert, axe, createTask, getTask, inputValue, listTasks, local, newPage, newUser, open, row,
  sleep, snap, uniqueEmail, waitFor,
} from './lib.mjs';

const DIST = new URL('../dist/assets/', import.meta.url).pathname;

/** GET with the path exactly as given (no URL normalization). */
function rawGet(path) {
  const u = new URL(GATEWAY);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function expectList(page, heading = 'All tasks') {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 10000 });
  await page.locator('#tasks[aria-busy="false"]').waitFor({ timeout: 10000 });
}

async function titles(page) {
  return page.locator('#tasks li[data-id] .title').allTextContents();
}

export const tests = [
  {
    name: 'sign-up-and-sign-in',
    async fn(t) {
      const { page } = await open(t);
      await page.goto('/');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await axe(t, page, 'sign in');
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create your account' }).waitFor();
      assert(new URL(page.url()).pathname === '/signup', 'the sign-up page has its own URL');
      await axe(t, page, 'sign up');
      const email = uniqueEmail('signup');
      await page.getByLabel('Email').fill(email);
      // The server's password rule, shown beside the password field.
      await page.getByLabel('Password').fill(email);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('#password-err').waitFor();
      const pwErr = await page.locator('#password-err').textContent();
      assert(/email/i.test(pwErr), `password error names the rule: ${pwErr}`);
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expectList(page);
      assert(new URL(page.url()).pathname === '/', 'lands on the list');
      // The session survives a reload.
      await page.reload();
      await expectList(page);
      // Out, then in again; a wrong password is said in words.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('wrong password!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: /invalid email or password/i }).waitFor();
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expectList(page);
    },
  },
  {
    name: 'add-by-form-with-recurrence-preview',
    async fn(t) {
      const u = await newUser('form');
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await page.keyboard.press('n');
      const dlg = page.getByRole('dialog', { name: 'New task' });
      await dlg.waitFor();
      // A rule the server refuses: its words appear beside the rule field.
      await dlg.getByLabel('Title').fill('Bad rule');
      await dlg.getByLabel('Repeat', { exact: true }).selectOption('custom');
      await dlg.getByLabel('Rule').fill('FREQ=SECONDLY');
      await dlg.getByText(/Cannot preview this rule/).waitFor();
      await dlg.getByRole('button', { name: 'Add task' }).click();
      const ruleErr = dlg.locator('[id$="-rrule-err"]');
      await ruleErr.waitFor();
      t.note('rrule error shown: ' + (await ruleErr.textContent()));
      // Now a good one: weekly on Monday and Thursday, preview first.
      const due = new Date();
      due.setDate(due.getDate() + 1);
      due.setHours(9, 0, 0, 0);
      await dlg.getByLabel('Title').fill('Team sync');
      await dlg.getByLabel('Notes').fill('Agenda in the doc');
      await dlg.getByLabel('Priority').selectOption('high');
      await dlg.getByLabel('Tags').fill('work, meetings');
      await dlg.getByLabel('Due').fill(inputValue(due));
      await dlg.getByLabel('Reminder', { exact: true }).selectOption('15');
      await dlg.getByLabel('Repeat', { exact: true }).selectOption('weekly');
      const days = dlg.getByRole('group', { name: 'Days of the week' });
      for (const d of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) await days.getByLabel(d).setChecked(d === 'Mon' || d === 'Thu');
      const occ = dlg.locator('[data-testid="occurrences"] li');
      await waitFor(async () => (await occ.count()) === 5, 'five occurrences previewed');
      const shown = await occ.allTextContents();
      assert(shown.every((s) => /^(Mon|Thu)/.test(s)), `occurrences fall on Mon/Thu: ${shown.join(' | ')}`);
      await axe(t, page, 'new task dialog');
      await snap(t, page, 'new-task-form');
      await dlg.getByRole('button', { name: 'Add task' }).click();
      await dlg.waitFor({ state: 'detached' });
      const r = row(page, 'Team sync');
      await r.waitFor();
      const meta = await r.locator('.meta').textContent();
      assert(/Weekly on Mon, Thu/.test(meta) && /#work/.test(meta) && /15 minutes before/.test(meta), `row shows it: ${meta}`);
      const [task] = await listTasks(u, 'q=Team+sync');
      assert(task.rrule === 'FREQ=WEEKLY;BYDAY=MO,TH', 'rrule ' + task.rrule);
      assert(task.priority === 'high' && task.remind_before_minutes === 15, 'priority and reminder saved');
      assert(task.tags.join() === 'meetings,work' || task.tags.join() === 'work,meetings', 'tags ' + task.tags);
      assert(new Date(task.due_at).getTime() === due.getTime(), `due ${task.due_at}`);
      assert(task.time_zone && task.time_zone === Intl.DateTimeFormat().resolvedOptions().timeZone, 'time zone ' + task.time_zone);
      assert(task.description === 'Agenda in the doc', 'notes saved');
      assert((await listTasks(u, 'q=Bad+rule')).length === 0, 'the refused task was not created');
    },
  },
  {
    name: 'quick-add',
    agent: true,
    async fn(t) {
      const u = await newUser('quick');
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await page.getByLabel('Quick add a task in plain words').fill('Buy milk tomorrow at 9am #errands');
      const preview = page.locator('[data-testid="quick-preview"]');
      const missing = page.locator('[data-testid="quick-unavailable"]');
      await waitFor(async () => (await preview.count()) || (await missing.count()), 'a quick-add preview or message', 8000);
      if (await missing.count()) {
        // Told in words, and nothing added behind the person's back.
        const text = await missing.textContent();
        await page.keyboard.press('Enter');
        await sleep(800);
        assert((await listTasks(u)).length === 0, 'nothing was added');
        const r = await api('POST', '/api/chat/parse', { token: u.token, body: { text: 'x' } });
        throw new NeedsAgent(`POST /api/chat/parse answered ${r.status}; the app said: ${text}`);
      }
      t.note('preview: ' + (await preview.textContent()));
      await page.keyboard.press('Enter');
      await row(page, 'milk').waitFor();
      const [task] = await listTasks(u);
      assert(/milk/i.test(task.title), 'title ' + task.title);
      assert(task.tags.includes('errands'), 'tag from #errands');
      assert(task.due_at, 'a due date from "tomorrow at 9am"');
      const due = new Date(task.due_at);
      const tomorrow = new Date();
      tomorrow.setDate(tomorrow.getDate() + 1);
      assert(due.getDate() === tomorrow.getDate() && due.getHours() === 9, `due tomorrow 9:00 local: ${task.due_at}`);
    },
  },
  {
    name: 'filter-sort-and-views-in-the-url',
    async fn(t) {
      const u = await newUser('filter');
      // A task due later today needs today to last the test out: in its
      // last two minutes, wait for tomorrow.
      const midnight = new Date();
      midnight.setHours(24, 0, 0, 0);
      if (midnight.getTime() - Date.now() < 120_000) await sleep(midnight.getTime() - Date.now() + 1000);
      const now = Date.now();
      const endOfToday = new Date();
      endOfToday.setHours(23, 59, 0, 0);
      const todayDue = new Date(Math.min(now + 60 * 60_000, endOfToday.getTime()));
      await createTask(u, { title: 'Alpha report', priority: 'high', tags: ['work'], due_at: local(new Date(now - 86400_000)) });
      await createTask(u, { title: 'Bravo groceries', priority: 'low', tags: ['home'], due_at: local(todayDue) });
      await createTask(u, { title: 'Charlie trip', priority: 'medium', tags: ['home'], due_at: local(new Date(now + 3 * 86400_000)) });
      const done = await createTask(u, { title: 'Delta taxes', priority: 'medium' });
      await api('POST', `/api/tasks/${done.id}/complete`, { token: u.token });
      const { page } = await open(t, u);

      await page.goto('/?priority=high');
      await expectList(page);
      assert((await titles(page)).join() === 'Alpha report', 'priority=high from the URL');
      assert((await page.getByLabel('Priority', { exact: true }).inputValue()) === 'high', 'the select shows it');
      await page.reload();
      await expectList(page);
      assert((await titles(page)).join() === 'Alpha report', 'the same after a reload');

      await page.getByRole('button', { name: 'Clear filters' }).click();
      await waitFor(async () => (await titles(page)).length === 4, 'all four');
      await snap(t, page, 'list');
      await page.keyboard.press('/');
      await page.keyboard.type('grocer');
      await waitFor(async () => new URL(page.url()).searchParams.get('q') === 'grocer', 'q in the URL');
      await waitFor(async () => (await titles(page)).join() === 'Bravo groceries', 'search result');
      await page.getByRole('button', { name: 'Clear filters' }).click();

      await page.getByLabel('Due', { exact: true }).selectOption('overdue');
      await waitFor(async () => (await titles(page)).join() === 'Alpha report', 'overdue only');
      assert(new URL(page.url()).searchParams.get('due') === 'overdue', 'due=overdue in the URL');
      await page.getByLabel('Due', { exact: true }).selectOption('');
      await page.getByLabel('Tag', { exact: true }).selectOption('home');
      await waitFor(async () => (await titles(page)).sort().join() === 'Bravo groceries,Charlie trip', 'tag home');
      await page.getByLabel('Sort').selectOption('title');
      await waitFor(async () => (await titles(page)).join() === 'Bravo groceries,Charlie trip', 'A to Z');
      await page.getByLabel('Sort').selectOption('-title');
      await waitFor(async () => (await titles(page)).join() === 'Charlie trip,Bravo groceries', 'Z to A');
      const shared = page.url();
      assert(/tag=home/.test(shared) && /sort=-title/.test(shared), 'URL holds tag and sort: ' + shared);
      // A shared link shows the same in another tab.
      const other = await newPage(t, page.context());
      await other.goto(shared);
      await expectList(other);
      assert((await titles(other)).join() === 'Charlie trip,Bravo groceries', 'the shared link shows the same');
      await other.close();
      await axe(t, page, 'list with filters');
      await snap(t, page, 'filters');

      await page.getByRole('link', { name: 'Today' }).click();
      await expectList(page, 'Today');
      assert((await titles(page)).join() === 'Alpha report,Bravo groceries', 'Today: overdue and due today, by due date: ' + (await titles(page)));
      await axe(t, page, 'Today');
      await page.getByRole('link', { name: 'Upcoming' }).click();
      await expectList(page, 'Upcoming');
      assert((await titles(page)).join() === 'Charlie trip', 'Upcoming');
      await axe(t, page, 'Upcoming');
      await page.getByRole('link', { name: 'Completed' }).click();
      await expectList(page, 'Completed');
      assert((await titles(page)).join() === 'Delta taxes', 'Completed');
      await axe(t, page, 'Completed');
      await page.goBack();
      await expectList(page, 'Upcoming');
      await page.getByRole('link', { name: 'All tasks' }).click();
      await expectList(page);
      t.shotPage = page;
    },
  },
  {
    name: 'edit-inline',
    async fn(t) {
      const u = await newUser('edit');
      const task = await createTask(u, { title: 'Call the plumber', priority: 'low' });
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await row(page, 'Call the plumber').locator('.title').click();
      const form = page.getByRole('form', { name: 'Edit task' });
      await form.waitFor();
      await axe(t, page, 'inline edit');
      await snap(t, page, 'edit');
      await form.getByLabel('Title').fill('Call the plumber about the sink');
      await form.getByLabel('Priority').selectOption('high');
      await form.getByLabel('Tags').fill('home');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.waitFor({ state: 'detached' });
      await row(page, 'about the sink').waitFor();
      const r = await getTask(u, task.id);
      assert(r.json.title === 'Call the plumber about the sink' && r.json.priority === 'high' && r.json.tags.join() === 'home', 'saved');
      assert(r.json.version === 2, 'one change, one version: ' + r.json.version);
      // A blank title is refused beside the field.
      await row(page, 'about the sink').locator('.title').click();
      await form.getByLabel('Title').fill('   ');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.locator('[id$="-title-err"]').waitFor();
      t.shotPage = page;
    },
  },
  {
    name: 'complete-and-reopen',
    async fn(t) {
      const u = await newUser('complete');
      const task = await createTask(u, { title: 'Return library books' });
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await page.getByRole('checkbox', { name: 'Complete “Return library books”' }).check();
      await waitFor(async () => (await getTask(u, task.id)).json.status === 'completed', 'completed in the API');
      await page.getByRole('link', { name: 'Completed' }).click();
      await expectList(page, 'Completed');
      await page.getByRole('checkbox', { name: 'Reopen “Return library books”' }).uncheck();
      await waitFor(async () => (await getTask(u, task.id)).json.status === 'pending', 'pending again');
      t.shotPage = page;
    },
  },
  {
    name: 'delete-and-undo',
    async fn(t) {
      const u = await newUser('delete');
      const task = await createTask(u, { title: 'Old draft' });
      await createTask(u, { title: 'Keep me' });
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await page.getByRole('button', { name: 'Delete “Old draft”' }).click();
      await row(page, 'Old draft').waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Undo' }).click();
      await row(page, 'Old draft').waitFor();
      await sleep(5800);
      assert((await getTask(u, task.id)).status === 200, 'undone: still there');
      await page.getByRole('button', { name: 'Delete “Old draft”' }).click();
      await page.getByRole('status').getByText('Deleted “Old draft”.').waitFor();
      await waitFor(async () => (await getTask(u, task.id)).status === 404, 'deleted after the undo window', 9000);
      await page.reload();
      await expectList(page);
      assert((await titles(page)).join() === 'Keep me', 'gone after a reload');
    },
  },
  {
    name: 'recurring-task-next-occurrence',
    async fn(t) {
      const u = await newUser('recur');
      const due = new Date(Date.now() + 2 * 3600_000);
      due.setSeconds(0, 0);
      const task = await createTask(u, { title: 'Water the plants', rrule: 'FREQ=DAILY', due_at: local(due), time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone });
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await row(page, 'Water the plants').locator('.meta').getByText('Daily').waitFor();
      await page.getByRole('checkbox', { name: 'Complete “Water the plants”' }).check();
      // The next occurrence, made by recurrence-service from the event, shows up by itself.
      await page.getByRole('checkbox', { name: 'Reopen “Water the plants”' }).waitFor();
      await waitFor(async () => (await page.getByRole('checkbox', { name: 'Complete “Water the plants”' }).count()) === 1, 'the next occurrence in the list', 20000, 300);
      const items = await listTasks(u);
      const next = items.find((x) => x.id !== task.id);
      assert(next && next.series_id === task.series_id && next.status === 'pending', 'an occurrence of the same series');
      assert(new Date(next.due_at).getTime() === due.getTime() + 86400_000, `due a day later: ${next.due_at}`);
      t.shotPage = page;
    },
  },
  {
    name: 'reminder-toast-live',
    async fn(t) {
      const u = await newUser('remind');
      const { ctx, page } = await open(t, u);
      await ctx.grantPermissions(['notifications'], { origin: GATEWAY });
      await page.goto('/');
      await expectList(page);
      await page.evaluate(() => {
        // Count browser notifications the app shows.
        window.__shown = [];
        const N = window.Notification;
        window.Notification = class extends N {
          constructor(title, o) {
            super(title, o);
            window.__shown.push(title);
          }
        };
        Object.defineProperty(window.Notification, 'permission', { get: () => N.permission });
      });
      await sleep(1500); // the stream is open by now
      const at = new Date(Date.now() + 4000);
      await createTask(u, { title: 'Stretch your legs', due_at: local(new Date(Date.now() + 3600_000)), remind_at: at.toISOString() });
      const toast = page.getByRole('status').getByText(/Reminder: Stretch your legs/);
      await toast.waitFor({ timeout: 15000 });
      const late = Date.now() - at.getTime();
      t.figure(`reminder toast shown ${late} ms after its time`);
      assert(late < 4000, `toast within ~2 s of the reminder time (was ${late} ms)`);
      await waitFor(async () => (await page.evaluate(() => window.__shown.length)) === 1, 'a browser notification');
      await page.getByTestId('unread').getByText('1').waitFor();
      await page.getByRole('button', { name: /Notifications, 1 unread/ }).click();
      const inbox = page.getByRole('region', { name: 'Notifications' });
      await inbox.getByText('Reminder: Stretch your legs').waitFor();
      await axe(t, page, 'notifications inbox');
      await snap(t, page, 'notifications');
      await inbox.getByRole('button', { name: 'Mark all read' }).click();
      await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
      const list = await api('GET', '/api/notifications?unread=true', { token: u.token });
      assert(list.json.items.length === 0, 'read in the API');
      t.shotPage = page;
    },
  },
  {
    name: 'chat-creates-a-task',
    agent: true,
    async fn(t) {
      const u = await newUser('chat');
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await page.keyboard.press('c');
      const chat = page.getByRole('complementary', { name: 'Assistant' });
      await chat.waitFor();
      await axe(t, page, 'chat panel');
      await chat.getByLabel('Message the assistant').fill('add call the bank tomorrow at 10am');
      await chat.getByRole('button', { name: 'Send' }).click();
      const reply = chat.locator('.msg.assistant');
      const err = chat.getByRole('alert');
      await waitFor(async () => (await err.count()) || ((await reply.count()) && !(await reply.last().textContent()).endsWith('…')), 'a reply or an error', 15000);
      t.shotPage = page;
      await snap(t, page, 'chat');
      if (await err.count()) {
        const r = await api('POST', '/api/chat', { token: u.token, body: { message: 'hello' } });
        throw new NeedsAgent(`POST /api/chat answered ${r.status}; the app said: ${await err.textContent()}`);
      }
      await chat.getByText(/add_task/).waitFor();
      await row(page, /call the bank/i).waitFor({ timeout: 8000 });
      const items = await listTasks(u);
      assert(items.some((x) => /call the bank/i.test(x.title)), 'the task exists');
    },
  },
  {
    name: 'conflict-from-a-second-tab',
    async fn(t) {
      const u = await newUser('conflict');
      const task = await createTask(u, { title: 'Plan the trip', priority: 'low' });
      const { ctx, page: a } = await open(t, u);
      await a.goto('/');
      await expectList(a);
      await a.getByRole('button', { name: 'Edit “Plan the trip”' }).click();
      const formA = a.getByRole('form', { name: 'Edit task' });
      await formA.waitFor();
      // The second tab changes the title first.
      const b = await newPage(t, ctx);
      await b.goto('/');
      await expectList(b);
      await b.getByRole('button', { name: 'Edit “Plan the trip”' }).click();
      const formB = b.getByRole('form', { name: 'Edit task' });
      await formB.getByLabel('Title').fill('Plan the trip to Rome');
      await formB.getByRole('button', { name: 'Save' }).click();
      await row(b, 'to Rome').waitFor();
      // The first tab saves its change on the old version.
      await formA.getByLabel('Priority').selectOption('high');
      await formA.getByRole('button', { name: 'Save' }).click();
      const dlg = a.getByRole('dialog', { name: 'This task was changed elsewhere' });
      await dlg.waitFor();
      const table = await dlg.locator('table').textContent();
      assert(/Plan the trip to Rome/.test(table) && /high/.test(table), 'shows what changed: ' + table);
      await axe(t, a, 'conflict dialog');
      await snap(t, a, 'conflict');
      await dlg.getByRole('button', { name: 'Keep my changes' }).click();
      await dlg.waitFor({ state: 'detached' });
      const r = await getTask(u, task.id);
      assert(r.json.title === 'Plan the trip to Rome' && r.json.priority === 'high', `both changes kept: ${r.json.title} ${r.json.priority}`);
      assert(r.json.version === 3, 'version 3');
      t.shotPage = a;
    },
  },
  {
    name: 'session-refresh-and-expiry',
    async fn(t) {
      const u = await newUser('refresh');
      const ttl = u.session.expires_in;
      if (ttl > 120) throw new Error(`the gateway's access tokens last ${ttl} s: run with ACCESS_TOKEN_TTL_S short (scripts/web-e2e.sh does)`);
      const { page } = await open(t, u);
      let refreshes = 0;
      page.on('request', (r) => r.url().endsWith('/api/auth/refresh') && refreshes++);
      await page.goto('/');
      await expectList(page);
      const first = u.session.access_token;
      await sleep((ttl + 2) * 1000);
      assert((await api('GET', '/api/auth/me', { token: first })).status === 401, 'the first access token has expired');
      await page.keyboard.press('n');
      const dlg = page.getByRole('dialog', { name: 'New task' });
      await dlg.getByLabel('Title').fill('Made after the token expired');
      await dlg.getByRole('button', { name: 'Add task' }).click();
      await row(page, 'Made after the token expired').waitFor();
      assert(refreshes >= 1, 'the app refreshed its session');
      t.note(`access tokens last ${ttl} s; ${refreshes} refresh(es) so far`);
      // A session revoked elsewhere (sign-out on another device): back to sign-in, with words.
      await page.evaluate(async () => {
        const s = JSON.parse(localStorage.getItem('todo.session'));
        await fetch('/api/auth/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: s.refresh }) });
        s.expiresAt = 0;
        localStorage.setItem('todo.session', JSON.stringify(s));
      });
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByText('Your session has expired. Please sign in again.').waitFor();
      t.shotPage = page;
    },
  },
  {
    name: 'two-users-never-see-each-other',
    async fn(t) {
      const a = await newUser('alice');
      const b = await newUser('bob');
      const secret = await createTask(a, { title: "Alice's private plan", tags: ['secret'] });
      await createTask(b, { title: "Bob's own task" });
      const { page } = await open(t, b);
      await page.goto('/');
      await expectList(page);
      assert((await titles(page)).join() === "Bob's own task", 'only his own');
      await page.goto('/?q=private');
      await expectList(page);
      await page.getByText('No task matches these filters.').waitFor();
      const status = await page.evaluate(async (id) => {
        const s = JSON.parse(localStorage.getItem('todo.session'));
        const r = await fetch('/api/tasks/' + id, { headers: { Authorization: 'Bearer ' + s.access } });
        return r.status;
      }, secret.id);
      assert(status === 404, "another user's task is a 404: " + status);
      const tags = await api('GET', '/api/tags', { token: b.token });
      assert(!tags.json.tags.some((x) => x.tag === 'secret'), "no trace of Alice's tags");
    },
  },
  {
    name: 'keyboard-shortcuts',
    async fn(t) {
      const u = await newUser('keys');
      for (const title of ['Third', 'Second', 'First']) await createTask(u, { title });
      const { page } = await open(t, u);
      await page.goto('/');
      await expectList(page);
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement?.textContent === 'Skip to content'), 'Tab reaches the skip link first');
      await page.keyboard.press('Escape');
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      await axe(t, page, 'shortcuts dialog');
      await snap(t, page, 'shortcuts');
      await page.keyboard.press('Escape');
      await help.waitFor({ state: 'detached' });
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await page.keyboard.press('k');
      await waitFor(async () => (await page.locator('#tasks li.selected .title').textContent()) === 'First', 'j j k selects the first');
      await page.keyboard.press('j');
      await page.keyboard.press('x');
      const second = (await listTasks(u, 'q=Second'))[0];
      await waitFor(async () => (await getTask(u, second.id)).json.status === 'completed', 'x completed the selected one');
      await page.keyboard.press('e');
      await page.getByRole('form', { name: 'Edit task' }).waitFor();
      await page.getByRole('form', { name: 'Edit task' }).getByRole('button', { name: 'Cancel' }).click();
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('/');
      assert(await page.evaluate(() => document.activeElement?.id === 'search'), '/ focuses search');
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('n');
      await page.getByRole('dialog', { name: 'New task' }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'New task' }).waitFor({ state: 'detached' });
      t.shotPage = page;
    },
  },
  {
    name: 'settings-and-errors-beside-fields',
    async fn(t) {
      const u = await newUser('settings');
      const { page } = await open(t, u);
      await page.goto('/settings');
      await page.getByRole('heading', { name: 'Where notifications go' }).waitFor();
      await axe(t, page, 'settings');
      await page.getByLabel('Webhook URL').fill('ftp://example.com/hook');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#webhook-err').waitFor();
      t.note('webhook error: ' + (await page.locator('#webhook-err').textContent()));
      await page.getByLabel('Webhook URL').fill('');
      await page.getByLabel('E-mail address').fill('Me@Example.com');
      await page.getByLabel('E-mail me each notification').check();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').getByText('Notification settings saved.').waitFor();
      const s = await api('GET', '/api/me/notification-settings', { token: u.token });
      await snap(t, page, 'settings');
      assert(s.json.email === 'me@example.com' && s.json.email_enabled === true && s.json.webhook_url === null, JSON.stringify(s.json));
      t.shotPage = page;
    },
  },
  {
    name: 'phone-width-dark-theme',
    async fn(t) {
      const u = await newUser('phone');
      await createTask(u, { title: 'Pick up the parcel', priority: 'high', tags: ['errands'], due_at: local(new Date(Date.now() + 3600_000)), rrule: 'FREQ=WEEKLY;BYDAY=MO,TH', remind_before_minutes: 30 });
      await createTask(u, { title: 'Read a chapter', priority: 'low' });
      const { page } = await open(t, u, { viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
      await page.goto('/');
      await expectList(page);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert(bg === 'rgb(21, 21, 24)', 'dark background: ' + bg);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(wide <= 390, 'no sideways scrolling at phone width: ' + wide);
      await axe(t, page, 'list, phone, dark');
      await snap(t, page, 'phone-dark');
      await page.getByRole('button', { name: 'Assistant' }).click();
      await page.getByRole('complementary', { name: 'Assistant' }).waitFor();
      await axe(t, page, 'chat, phone, dark');
      await page.getByRole('button', { name: 'Close the assistant' }).click();
      t.shotPage = page;
    },
  },
  {
    name: 'first-load-200-tasks',
    async fn(t) {
      const u = await newUser('load');
      for (let i = 0; i < 200; i += 20)
        await Promise.all(Array.from({ length: 20 }, (_, j) => createTask(u, { title: `Task number ${String(i + j + 1).padStart(3, '0')}`, tags: ['bulk'], priority: ['high', 'medium', 'low'][(i + j) % 3] })));
      const { page } = await open(t, u);
      const t0 = Date.now();
      await page.goto('/');
      await page.locator('#tasks li[data-id]').nth(49).waitFor();
      const wall = Date.now() - t0;
      const nav = await page.evaluate(() => Math.round(performance.now()));
      t.figure(`first load of the list with 200 tasks: ${wall} ms to the first 50 rows on screen (${nav} ms since navigation start)`);
      if (wall > 1000) t.note(`over the 1 s goal: ${wall} ms`);
      // The rest come as one scrolls.
      const t1 = Date.now();
      await waitFor(async () => {
        await page.locator('#tasks li:last-child').scrollIntoViewIfNeeded();
        return (await page.locator('#tasks li[data-id]').count()) === 200;
      }, 'all 200 by scrolling', 20000, 100);
      t.figure(`the other 150 tasks loaded by scrolling in ${Date.now() - t1} ms`);
      await page.getByText('200 tasks shown').waitFor();
      t.shotPage = page;
    },
  },
  {
    name: 'bundle-size-and-static-serving',
    async fn(t) {
      let raw = 0;
      let gz = 0;
      const js = readdirSync(DIST).filter((f) => f.endsWith('.js'));
      for (const f of js) {
        const b = readFileSync(DIST + f);
        raw += b.length;
        gz += gzipSync(b, { level: 9 }).length;
      }
      t.figure(`built JavaScript: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (limit 100 KB) in ${js.length} file(s)`);
      assert(gz <= 100 * 1024, 'over 100 KB gzipped');
      const index = await fetch(GATEWAY + '/');
      assert(index.status === 200 && index.headers.get('content-type').startsWith('text/html') && index.headers.get('cache-control') === 'no-cache', 'index.html at /');
      const html = await index.text();
      const asset = html.match(/\/assets\/[^"]+\.js/)[0];
      const a = await fetch(GATEWAY + asset);
      assert(a.status === 200 && a.headers.get('content-type') === 'text/javascript; charset=utf-8', 'asset type');
      assert(a.headers.get('cache-control') === 'public, max-age=31536000, immutable', 'asset cached for good');
      const etag = a.headers.get('etag');
      assert((await fetch(GATEWAY + asset, { headers: { 'If-None-Match': etag } })).status === 304, 'revalidation 304');
      const route = await fetch(GATEWAY + '/upcoming?tag=home');
      assert(route.status === 200 && (await route.text()) === html, 'client routes get index.html');
      // Sent as written: fetch() would resolve the dot segments itself.
      for (const bad of ['/missing.js', '/assets/', '/..%2f..%2fetc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/../../etc/passwd', '/index.html%00.png', '/.env', '/assets/..%5c..%5cindex.html']) {
        const r = await rawGet(bad);
        const body = r.body;
        if (bad === '/assets/') assert(r.status === 200 && body === html, 'no listing of /assets/');
        else assert(r.status === 404 && /"not_found"/.test(body), `${bad} answered ${r.status}`);
      }
      const head = await fetch(GATEWAY + asset, { method: 'HEAD' });
      assert(head.status === 200 && Number(head.headers.get('content-length')) === Buffer.byteLength(await a.text()), 'HEAD gives the length');
      for (const probe of ['/healthz', '/readyz']) {
        const r = await fetch(GATEWAY + probe);
        assert(!r.headers.get('content-type').startsWith('text/html'), `${probe} keeps its own handler`);
      }
      const apiStill = await fetch(GATEWAY + '/api/nope');
      assert(apiStill.status === 404 && apiStill.headers.get('content-type').startsWith('application/json'), '/api stays the API');
    },
  },
];
