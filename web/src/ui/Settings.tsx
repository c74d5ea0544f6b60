// Settings: where notifications go (webhook, e-mail), browser
// notifications, and the account.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, describeError, type Session } from '../lib/api';
import type { NotificationSettings, User } from '../lib/types';
import { FieldError, fieldErrors, useToast } from './common';

export function Settings(props: { session: Session; user: User; signOut: () => void }) {
  const { session } = props;
  const toast = useToast();
  const [s, setS] = useState<NotificationSettings | null>(null);
  const [webhook, setWebhook] = useState('');
  const [email, setEmail] = useState('');
  const [emailOn, setEmailOn] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errs, setErrs] = useState<{ byField: Record<string, string>; general: string }>({ byField: {}, general: '' });
  const [perm, setPerm] = useState(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);

  const take = (v: NotificationSettings) => {
    setS(v);
    setWebhook(v.webhook_url ?? '');
    setEmail(v.email ?? '');
    setEmailOn(v.email_enabled);
  };

  useEffect(() => {
    session
      .json<NotificationSettings>('GET', '/me/notification-settings')
      .then(take)
      .catch((e) => setErrs({ byField: {}, general: describeError(e) }));
  }, []);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!s) return;
    const body: Record<string, unknown> = {};
    const w = webhook.trim() || null;
    const m = email.trim() || null;
    if (w !== s.webhook_url) body.webhook_url = w;
    if (m !== s.email) body.email = m;
    if (emailOn !== s.email_enabled) body.email_enabled = emailOn;
    setErrs({ byField: {}, general: '' });
    if (!Object.keys(body).length) return;
    setBusy(true);
    try {
      take(await session.json<NotificationSettings>('PUT', '/me/notification-settings', { body }));
      toast({ text: 'Notification settings saved.', timeout: 3000 });
    } catch (err) {
      setErrs(fieldErrors(err, ['webhook_url', 'email', 'email_enabled']));
    } finally {
      setBusy(false);
    }
  };

  const allow = async () => setPerm(await Notification.requestPermission());

  return (
    <div class="settings">
      <h1>Settings</h1>
      <section aria-labelledby="ns-h">
        <h2 id="ns-h">Where notifications go</h2>
        <p class="muted">Reminders and new occurrences always reach the bell. They can also go to a webhook or by e-mail.</p>
        <form onSubmit={save} noValidate>
          <label for="webhook">Webhook URL</label>
          <input
            id="webhook"
            type="url"
            value={webhook}
            placeholder="https://example.com/hooks/todo"
            onInput={(e) => setWebhook(e.currentTarget.value)}
            aria-invalid={!!errs.byField.webhook_url}
            aria-describedby={errs.byField.webhook_url ? 'webhook-err' : undefined}
          />
          <FieldError id="webhook-err" text={errs.byField.webhook_url} />
          {s?.webhook_secret && (
            <p class="muted">
              Signing secret (verify the X-Todo-Signature header with it): <code>{s.webhook_secret}</code>
            </p>
          )}
          <label for="notify-email">E-mail address</label>
          <input
            id="notify-email"
            type="email"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
            aria-invalid={!!errs.byField.email}
            aria-describedby={errs.byField.email ? 'notify-email-err' : undefined}
          />
          <FieldError id="notify-email-err" text={errs.byField.email} />
          <label>
            <input type="checkbox" checked={emailOn} onChange={(e) => setEmailOn(e.currentTarget.checked)} /> E-mail me each
            notification
          </label>
          <FieldError id="email-enabled-err" text={errs.byField.email_enabled} />
          {errs.general && (
            <p class="error" role="alert">
              {errs.general}
            </p>
          )}
          <p>
            <button class="primary" type="submit" disabled={busy || !s}>
              Save
            </button>
          </p>
        </form>
      </section>
      <section aria-labelledby="bn-h">
        <h2 id="bn-h">Browser notifications</h2>
        {perm === 'unsupported' && <p>This browser cannot show notifications.</p>}
        {perm === 'granted' && <p>Reminders also show as browser notifications.</p>}
        {perm === 'denied' && <p>Blocked in this browser's site settings; reminders still show in the page.</p>}
        {perm === 'default' && (
          <p>
            <button onClick={allow}>Show reminders as browser notifications</button>
          </p>
        )}
      </section>
      <ApiTokens session={session} />
      <section aria-labelledby="acct-h">
        <h2 id="acct-h">Account</h2>
        <p>
          Signed in as <strong>{props.user.email}</strong>.
        </p>
        <button onClick={props.signOut}>Sign out</button>
      </section>
    </div>
  );
}

interface ApiToken {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  token?: string;
}

/** Personal API tokens: for scripts and outside agents (MCP at /api/mcp). */
function ApiTokens({ session }: { session: Session }) {
  const [items, setItems] = useState<ApiToken[] | null>(null);
  const [missing, setMissing] = useState(false);
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [made, setMade] = useState<ApiToken | null>(null);
  const [errs, setErrs] = useState<{ byField: Record<string, string>; general: string }>({ byField: {}, general: '' });

  const load = () =>
    session
      .json<{ items: ApiToken[] }>('GET', '/auth/tokens')
      .then((r) => setItems(r.items))
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) setMissing(true);
        else setErrs({ byField: {}, general: describeError(e) });
      });
  useEffect(() => {
    load();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setErrs({ byField: {}, general: '' });
    if (!name.trim()) {
      setErrs({ byField: { name: 'Name the token after where it will be used.' }, general: '' });
      return;
    }
    try {
      const body: Record<string, unknown> = { name: name.trim() };
      if (days) body.expires_in_days = Number(days);
      setMade(await session.json<ApiToken>('POST', '/auth/tokens', { body }));
      setName('');
      load();
    } catch (err) {
      setErrs(fieldErrors(err, ['name', 'scopes', 'expires_in_days']));
    }
  };

  const revoke = async (t: ApiToken) => {
    try {
      await session.json('DELETE', `/auth/tokens/${t.id}`);
      if (made?.id === t.id) setMade(null);
      load();
    } catch (err) {
      setErrs({ byField: {}, general: describeError(err) });
    }
  };

  return (
    <section aria-labelledby="tok-h">
      <h2 id="tok-h">Personal API tokens</h2>
      {missing ? (
        <p class="muted">This server does not offer personal API tokens yet.</p>
      ) : (
        <>
          <p class="muted">For scripts and assistants that act for you (the API, or MCP at /api/mcp). A token is shown once.</p>
          {made?.token && (
            <p class="notice" role="status">
              New token “{made.name}”: <code>{made.token}</code> — copy it now, it will not be shown again.
            </p>
          )}
          {items && items.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td>{t.expires_at ? new Date(t.expires_at).toLocaleDateString() : 'never'}</td>
                    <td>{t.last_used_at ? new Date(t.last_used_at).toLocaleString() : 'never'}</td>
                    <td>
                      <button class="danger" onClick={() => revoke(t)} aria-label={`Revoke “${t.name}”`}>
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form onSubmit={create} noValidate class="row gap-top">
            <div class="fl spacer">
              <label for="tok-name">Token name</label>
              <input
                id="tok-name"
                type="text"
                value={name}
                maxLength={100}
                onInput={(e) => setName(e.currentTarget.value)}
                aria-invalid={!!errs.byField.name}
                aria-describedby={errs.byField.name ? 'tok-name-err' : undefined}
              />
              <FieldError id="tok-name-err" text={errs.byField.name} />
            </div>
            <div class="fl">
              <label for="tok-days">Expires</label>
              <select id="tok-days" value={days} onChange={(e) => setDays(e.currentTarget.value)}>
                <option value="30">in 30 days</option>
                <option value="90">in 90 days</option>
                <option value="365">in a year</option>
                <option value="">never</option>
              </select>
              <FieldError id="tok-days-err" text={errs.byField.expires_in_days} />
            </div>
            <button type="submit">Create token</button>
          </form>
        </>
      )}
      {errs.general && (
        <p class="error" role="alert">
          {errs.general}
        </p>
      )}
    </section>
  );
}
