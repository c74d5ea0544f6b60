// The bell: unread count, the inbox, and the live stream that feeds both
// (toasts for each new one, and a browser notification when allowed).
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, type Session } from '../lib/api';
import { LiveStream, type StreamState } from '../lib/sse';
import type { Notification, Page } from '../lib/types';
import { useToast } from './common';

export function useNotifications(session: Session, onNew: (n: Notification) => void) {
  const [items, setItems] = useState<Notification[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [unread, setUnread] = useState(0);
  const [unreadMore, setUnreadMore] = useState(false);
  const [live, setLive] = useState<StreamState>('connecting');
  const [error, setError] = useState('');
  const toast = useToast();
  const seen = useRef(new Set<number>());
  const onNewRef = useRef(onNew);
  onNewRef.current = onNew;

  const countUnread = async () => {
    const p = await session.json<Page<Notification>>('GET', '/notifications?unread=true&limit=100');
    setUnread(p.items.length);
    setUnreadMore(!!p.next_cursor);
  };

  const loadPage = async (more: boolean) => {
    try {
      const q = new URLSearchParams({ limit: '30' });
      if (more && cursor) q.set('cursor', cursor);
      const p = await session.json<Page<Notification>>('GET', '/notifications?' + q);
      setItems((prev) => {
        const list = more ? [...prev, ...p.items] : p.items;
        const ids = new Set<number>();
        for (const n of list) seen.current.add(n.id);
        return list.filter((n) => !ids.has(n.id) && ids.add(n.id));
      });
      setCursor(p.next_cursor);
      setError('');
    } catch (e) {
      setError(describeError(e));
    }
  };

  useEffect(() => {
    loadPage(false);
    countUnread().catch(() => undefined);
    // Starts from the newest stored one: the stream then brings only what is new.
    const stream = new LiveStream(session, {
      path: '/notifications/stream',
      onState: setLive,
      onEvent: (e) => {
        if (e.event !== 'notification') return;
        let n: Notification;
        try {
          n = JSON.parse(e.data);
        } catch {
          return;
        }
        if (seen.current.has(n.id)) return;
        seen.current.add(n.id);
        setItems((prev) => [n, ...prev]);
        if (!n.read_at) setUnread((u) => u + 1);
        toast({ text: `${n.title}${n.body ? ' — ' + n.body : ''}`, timeout: 8000 });
        if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
          try {
            new Notification(n.title, { body: n.body, tag: String(n.id) });
          } catch {
            /* not allowed here (some browsers want a service worker) */
          }
        }
        onNewRef.current(n);
      },
    });
    stream.run();
    return () => stream.stop();
  }, []);

  const markRead = async (n: Notification) => {
    if (n.read_at) return;
    try {
      const r = await session.json<Notification>('POST', `/notifications/${n.id}/read`);
      setItems((prev) => prev.map((x) => (x.id === n.id ? r : x)));
      setUnread((u) => Math.max(0, u - 1));
    } catch (e) {
      setError(describeError(e));
    }
  };

  const markAll = async () => {
    try {
      await session.json('POST', '/notifications/read-all');
      const now = new Date().toISOString();
      setItems((prev) => prev.map((x) => (x.read_at ? x : { ...x, read_at: now })));
      setUnread(0);
      setUnreadMore(false);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return { items, cursor, unread, unreadMore, live, error, loadPage, markRead, markAll };
}

export type NotificationsModel = ReturnType<typeof useNotifications>;

export function Bell(props: { m: NotificationsModel; open: boolean; toggle: () => void }) {
  const { unread, unreadMore } = props.m;
  const count = unreadMore ? `${unread}+` : String(unread);
  return (
    <button
      id="bell"
      aria-expanded={props.open}
      aria-controls="inbox"
      aria-label={`Notifications, ${count} unread`}
      onClick={props.toggle}
    >
      <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
        <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
      </svg>{' '}
      {unread > 0 && <span class="badge" data-testid="unread">{count}</span>}
    </button>
  );
}

export function Inbox(props: { m: NotificationsModel; close: () => void }) {
  const m = props.m;
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section
      class="popover"
      id="inbox"
      aria-label="Notifications"
      tabIndex={-1}
      ref={ref}
      onKeyDown={(e) => e.key === 'Escape' && props.close()}
    >
      <div class="row">
        <h2 class="spacer">Notifications</h2>
        <span class="muted" title="Live updates">
          {m.live === 'open' ? '● live' : m.live === 'connecting' ? '○ connecting' : '○ offline'}
        </span>
        <button onClick={m.markAll} disabled={!m.unread}>
          Mark all read
        </button>
        <button aria-label="Close notifications" onClick={props.close}>
          ×
        </button>
      </div>
      {m.error && (
        <p class="error" role="alert">
          {m.error}
        </p>
      )}
      {!m.items.length && <p class="muted">No notifications yet. Reminders and new occurrences show up here.</p>}
      <ul>
        {m.items.map((n) => (
          <li key={n.id} class={n.read_at ? '' : 'unread'}>
            <div class="ntitle">{n.title}</div>
            {n.body && <div class="muted">{n.body}</div>}
            <div class="row">
              <time class="muted spacer" dateTime={n.created_at}>
                {new Date(n.created_at).toLocaleString()}
              </time>
              {!n.read_at && (
                <button class="link" onClick={() => m.markRead(n)}>
                  Mark read
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {m.cursor && <button onClick={() => m.loadPage(true)}>Older notifications</button>}
    </section>
  );
}
