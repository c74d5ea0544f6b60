// The app shell: routing over history (the gateway answers index.html for
// these paths), the sign-in state, the header (views, bell, assistant),
// toasts and the global keyboard shortcuts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { browserSession, type Session } from '../lib/api';
import type { User } from '../lib/types';
import { parseState, toUrl, VIEWS, type ListState } from '../lib/urlstate';
import { Auth } from './Auth';
import { Chat } from './Chat';
import { Modal, type Toast, ToastContext, type ToastFn, Toasts, typing } from './common';
import { Bell, Inbox, useNotifications } from './Notifications';
import { Settings } from './Settings';
import { type ListKeys, TaskView } from './TaskView';

const session = browserSession();
const here = () => location.pathname + location.search;

export function App() {
  const [loc, setLoc] = useState(here());
  const [user, setUser] = useState<User | null>(session.tokens?.user ?? null);
  const [notice, setNotice] = useState('');
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const navigate = (url: string, replace = false) => {
    if (url === here()) return;
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    setLoc(here());
  };

  const close = (id: number) => setToasts((t) => t.filter((x) => x.id !== id));
  const toast: ToastFn = (t) => {
    const id = nextId.current++;
    setToasts((all) => [...all.slice(-3), { ...t, id }]);
    if (t.timeout) setTimeout(() => close(id), t.timeout);
    return () => close(id);
  };

  useEffect(() => {
    session.onExpired = (m) => {
      setNotice(m);
      setUser(null);
    };
    session.onChange = (t) => setUser(t?.user ?? null);
    const pop = () => setLoc(here());
    // Another tab signed in or out.
    const storage = (e: StorageEvent) => {
      if (e.key === null || e.key === 'todo.session') setUser(session.tokens?.user ?? null);
    };
    addEventListener('popstate', pop);
    addEventListener('storage', storage);
    return () => {
      removeEventListener('popstate', pop);
      removeEventListener('storage', storage);
    };
  }, []);

  const path = new URL(loc, location.origin).pathname;
  let page;
  if (!user) {
    const mode = path === '/signup' ? 'signup' : 'signin';
    page = (
      <Auth
        mode={mode}
        session={session}
        notice={notice}
        navigate={navigate}
        onSignedIn={() => {
          setNotice('');
          setUser(session.tokens?.user ?? null);
          if (path === '/signin' || path === '/signup') navigate('/', true);
        }}
      />
    );
  } else {
    page = <Shell session={session} user={user} loc={loc} navigate={navigate} />;
  }
  return (
    <ToastContext.Provider value={toast}>
      {page}
      <Toasts items={toasts} close={close} />
    </ToastContext.Provider>
  );
}

const SHORTCUTS: [string, string][] = [
  ['n', 'New task'],
  ['q', 'Quick add'],
  ['/', 'Search'],
  ['j / k', 'Next / previous task'],
  ['x', 'Complete or reopen the selected task'],
  ['e', 'Edit the selected task'],
  ['g then t / u / c / a', 'Go to Today, Upcoming, Completed, All'],
  ['c', 'Open the assistant'],
  ['?', 'Show these shortcuts'],
  ['Esc', 'Close a dialog or panel'],
];

function Shell(props: { session: Session; user: User; loc: string; navigate: (u: string, r?: boolean) => void }) {
  const { session, loc, navigate } = props;
  const u = new URL(loc, location.origin);
  const [reload, setReload] = useState(0);
  const [inboxOpen, setInboxOpen] = useState(false);
  const [chat, setChat] = useState<{ draft?: string } | null>(null);
  const [help, setHelp] = useState(false);
  const keys = useRef<ListKeys>({});
  const gPrefix = useRef(0);
  const bump = () => setReload((r) => r + 1);

  // A new occurrence is a new task: show it.
  const notes = useNotifications(session, (n) => n.kind === 'recurrence' && bump());

  // Signed in at /signin (a reload, another tab): go to the list.
  useEffect(() => {
    if (u.pathname === '/signin' || u.pathname === '/signup') navigate('/', true);
  }, [u.pathname]);

  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e) || document.querySelector('dialog[open]')) return;
      const k = e.key;
      if (Date.now() - gPrefix.current < 1200) {
        gPrefix.current = 0;
        const to = { t: '/today', u: '/upcoming', c: '/completed', a: '/' }[k];
        if (to) {
          e.preventDefault();
          navigate(to);
        }
        return;
      }
      if (k === 'g') gPrefix.current = Date.now();
      else if (k === '?') setHelp(true);
      else if (k === 'c') setChat({});
      else if (keys.current[k]) {
        e.preventDefault();
        keys.current[k]!();
      }
    };
    addEventListener('keydown', down);
    return () => removeEventListener('keydown', down);
  }, []);

  const state = parseState(u.pathname, u.search);
  const signOut = async () => {
    await session.logout();
    navigate('/signin');
  };

  let main;
  if (u.pathname === '/settings') main = <Settings session={session} user={props.user} signOut={signOut} />;
  else if (state)
    main = (
      <TaskView
        session={session}
        state={state}
        setState={(s: ListState, replace?: boolean) => navigate(toUrl(s), replace)}
        reload={reload}
        keys={keys}
        openChat={(draft) => setChat({ draft })}
      />
    );
  else
    main = (
      <>
        <h1>Page not found</h1>
        <p>
          <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
            Back to your tasks
          </a>
        </p>
      </>
    );

  const link = (path: string, label: string) => (
    <a
      href={path}
      key={path}
      aria-current={u.pathname === path ? 'page' : undefined}
      onClick={(e) => {
        e.preventDefault();
        navigate(path);
      }}
    >
      {label}
    </a>
  );

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          ✓ Todo
        </a>
        <nav class="views" aria-label="Views">
          {VIEWS.map((v) => link(v.path, v.label))}
          {link('/settings', 'Settings')}
        </nav>
        <span class="spacer" />
        <Bell m={notes} open={inboxOpen} toggle={() => setInboxOpen(!inboxOpen)} />
        <button onClick={() => setChat(chat ? null : {})} aria-expanded={!!chat} aria-controls="chat" aria-keyshortcuts="c">
          Assistant
        </button>
        <button onClick={() => setHelp(true)} aria-label="Keyboard shortcuts" aria-keyshortcuts="?">
          ?
        </button>
        <button onClick={signOut} title={props.user.email}>
          Sign out
        </button>
      </header>
      {inboxOpen && <Inbox m={notes} close={() => setInboxOpen(false)} />}
      <div class="layout">
        <main id="main" tabIndex={-1}>
          {main}
        </main>
        {chat && <Chat session={session} draft={chat.draft} close={() => setChat(null)} onTasksChanged={bump} />}
      </div>
      {help && (
        <Modal title="Keyboard shortcuts" id="help" onClose={() => setHelp(false)}>
          <table>
            <tbody>
              {SHORTCUTS.map(([k, what]) => (
                <tr key={k}>
                  <th scope="row">
                    <kbd>{k}</kbd>
                  </th>
                  <td>{what}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Modal>
      )}
    </>
  );
}
