// The task list of a view: filters (kept in the URL), quick add, the full
// form, inline edits, complete/reopen, delete with undo, conflicts, pages
// that load as one scrolls, and the list's keyboard shortcuts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, type Session } from '../lib/api';
import { formatDue, isOverdue, minutesLabel } from '../lib/dates';
import { describeRule } from '../lib/rrule';
import type { Page, Task, TaskFields } from '../lib/types';
import { type ListState, SORTS, hasFilters, toApiQuery, toUrl, VIEWS, defaultSort } from '../lib/urlstate';
import { Modal, useToast } from './common';
import { QuickAdd } from './QuickAdd';
import { TaskForm } from './TaskForm';

export interface ListKeys {
  [key: string]: (() => void) | undefined;
}

const SORT_LABELS: Record<string, string> = {
  '-created_at': 'Newest first',
  created_at: 'Oldest first',
  due_at: 'Due soonest',
  '-due_at': 'Due latest',
  '-priority': 'Priority high → low',
  priority: 'Priority low → high',
  title: 'Title A → Z',
  '-title': 'Title Z → A',
};

const UNDO_MS = 5000;

interface Conflict {
  base: Task;
  mine: TaskFields;
  theirs: Task;
}

export function TaskView(props: {
  session: Session;
  state: ListState;
  setState: (s: ListState, replace?: boolean) => void;
  reload: number;
  keys: { current: ListKeys };
  openChat: (text?: string) => void;
}) {
  const { session, state } = props;
  const toast = useToast();
  const [items, setItems] = useState<Task[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState(false);
  // The view whose rows are on screen: until the new view's first page
  // arrives, the list says it is busy (its rows are the last view's).
  const [shownKey, setShownKey] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [sel, setSel] = useState(-1);
  const [editing, setEditing] = useState<string | null>(null);
  const [creating, setCreating] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [askDelete, setAskDelete] = useState<Task | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [tags, setTags] = useState<string[]>([]);
  const [search, setSearch] = useState(state.q);
  const pending = useRef(new Map<string, { timer: number; run: () => void }>());
  const searchRef = useRef<HTMLInputElement | null>(null);
  const quickRef = useRef<HTMLInputElement | null>(null);
  const sentinel = useRef<HTMLLIElement>(null);
  const gen = useRef(0);
  const key = toUrl(state);
  const busy = loading || shownKey !== key;

  const load = async (more: boolean) => {
    const g = more ? gen.current : ++gen.current;
    const k = key;
    const q = toApiQuery(state, new Date());
    if (more && cursor) q.set('cursor', cursor);
    setLoading(true);
    try {
      const page = await session.json<Page<Task>>('GET', '/tasks?' + q.toString());
      if (g !== gen.current) return;
      setItems((prev) => {
        if (!more) return page.items;
        const ids = new Set(prev.map((t) => t.id));
        return [...prev, ...page.items.filter((t) => !ids.has(t.id))];
      });
      setCursor(page.next_cursor);
      setError('');
      setLoaded(true);
      setShownKey(k);
    } catch (e) {
      if (g === gen.current) {
        setError(describeError(e));
        setShownKey(k);
      }
    } finally {
      if (g === gen.current) setLoading(false);
    }
  };

  useEffect(() => {
    setSel(-1);
    load(false);
  }, [key, props.reload]);

  useEffect(() => {
    session
      .json<{ tags: { tag: string }[] }>('GET', '/tags')
      .then((r) => setTags(r.tags.map((t) => t.tag)))
      .catch(() => undefined);
  }, [props.reload, items.length]);

  useEffect(() => setSearch(state.q), [state.q]);

  // The next page when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor) return;
    const io = new IntersectionObserver((es) => {
      if (es.some((e) => e.isIntersecting) && !loading) load(true);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, loading, key]);

  // Deletions waiting for their undo window happen now when the page goes.
  useEffect(() => {
    const flush = () => pending.current.forEach((p) => p.run());
    addEventListener('pagehide', flush);
    return () => {
      removeEventListener('pagehide', flush);
      flush();
    };
  }, []);

  const visible = items.filter((t) => !hidden.has(t.id));
  const put = (t: Task) => setItems((prev) => prev.map((x) => (x.id === t.id ? t : x)));

  const create = async (f: TaskFields) => {
    const t = await session.json<Task>('POST', '/tasks', { body: f });
    toast({ text: `Added “${t.title}”.`, timeout: 3000 });
    if (state.view === 'all' && !hasFilters(state)) setItems((prev) => [t, ...prev.filter((x) => x.id !== t.id)]);
    else load(false);
  };

  const toggle = async (t: Task) => {
    try {
      const done = t.status === 'pending';
      const n = await session.json<Task>('POST', `/tasks/${t.id}/${done ? 'complete' : 'reopen'}`);
      put(n);
      if (done && n.rrule) {
        toast({ text: `Completed “${n.title}”. The next occurrence is on its way.`, timeout: 4000 });
        // recurrence-service makes it from the event; show it when it lands.
        setTimeout(() => load(false), 1500);
        setTimeout(() => load(false), 4000);
      }
    } catch (e) {
      toast({ text: describeError(e), kind: 'error', timeout: 6000 });
    }
  };

  const save = async (t: Task, f: TaskFields) => {
    if (!Object.keys(f).length) {
      setEditing(null);
      return;
    }
    try {
      const n = await session.json<Task>('PATCH', `/tasks/${t.id}`, { body: f, headers: { 'If-Match': `"${t.version}"` } });
      put(n);
      setEditing(null);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 412 || e.status === 409)) {
        const theirs = await session.json<Task>('GET', `/tasks/${t.id}`);
        setEditing(null);
        setConflict({ base: t, mine: f, theirs });
        return;
      }
      throw e;
    }
  };

  const remove = (t: Task, series: boolean) => {
    setAskDelete(null);
    setHidden((h) => new Set(h).add(t.id));
    const unhide = () =>
      setHidden((h) => {
        const n = new Set(h);
        n.delete(t.id);
        return n;
      });
    const run = () => {
      const p = pending.current.get(t.id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.current.delete(t.id);
      session
        .fetch('DELETE', `/tasks/${t.id}${series ? '?series=all' : ''}`, { keepalive: true })
        .then(async (r) => {
          if (!r.ok && r.status !== 404) throw new ApiError(r.status, 'delete', (await r.json().catch(() => null))?.error?.message ?? 'could not delete');
          setItems((prev) => prev.filter((x) => x.id !== t.id));
          unhide();
        })
        .catch((e) => {
          unhide();
          toast({ text: `Could not delete “${t.title}”: ${describeError(e)}`, kind: 'error', timeout: 6000 });
        });
    };
    pending.current.set(t.id, { timer: window.setTimeout(run, UNDO_MS), run });
    toast({
      text: series ? `Deleted “${t.title}” and ended its series.` : `Deleted “${t.title}”.`,
      timeout: UNDO_MS,
      action: {
        label: 'Undo',
        run: () => {
          const p = pending.current.get(t.id);
          if (p) clearTimeout(p.timer);
          pending.current.delete(t.id);
          unhide();
        },
      },
    });
  };

  const askRemove = (t: Task) => (t.rrule || t.series_id ? setAskDelete(t) : remove(t, false));

  const focusRow = (i: number) => {
    setSel(i);
    requestAnimationFrame(() => {
      const el = document.querySelector<HTMLElement>(`[data-row="${i}"] .title`);
      el?.focus();
      el?.scrollIntoView({ block: 'nearest' });
    });
  };

  props.keys.current = {
    n: () => setCreating(''),
    '/': () => searchRef.current?.focus(),
    j: () => visible.length && focusRow(Math.min(visible.length - 1, sel + 1)),
    k: () => visible.length && focusRow(Math.max(0, sel - 1)),
    x: () => visible[sel] && toggle(visible[sel]),
    e: () => visible[sel] && setEditing(visible[sel].id),
    q: () => quickRef.current?.focus(),
  };

  const set = (patch: Partial<ListState>, replace = false) => props.setState({ ...state, ...patch }, replace);
  // The search box writes the URL a moment after the last key.
  useEffect(() => {
    if (search === state.q) return;
    const t = setTimeout(() => set({ q: search }, true), 300);
    return () => clearTimeout(t);
  }, [search]);

  const viewLabel = VIEWS.find((v) => v.view === state.view)!.label;
  const statusFixed = state.view !== 'all';
  const now = new Date();

  return (
    <>
      <div class="row">
        <h1 class="spacer">{viewLabel}</h1>
        <button class="primary" onClick={() => setCreating('')} aria-keyshortcuts="n">
          New task
        </button>
      </div>
      <QuickAdd
        session={session}
        create={create}
        openForm={(title) => setCreating(title)}
        openChat={props.openChat}
        inputRef={quickRef}
      />
      <form class="filters" role="search" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <div class="fl">
          <label for="search">Search</label>
          <input id="search"
            type="search"
            ref={searchRef}
            value={search}
            placeholder="Words in title or notes"
            onInput={(e) => setSearch(e.currentTarget.value)}
            aria-keyshortcuts="/"
          />
        </div>
        {!statusFixed && (
          <Pick id="f-status" label="Status" value={state.status} set={(v) => set({ status: v as ListState['status'] })}
            options={[['', 'Any'], ['pending', 'Open'], ['completed', 'Completed']]} />
        )}
        <Pick id="f-priority" label="Priority" value={state.priority} set={(v) => set({ priority: v as ListState['priority'] })}
          options={[['', 'Any'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low']]} />
        <Pick id="f-tag" label="Tag" value={state.tags[0] ?? ''} set={(v) => set({ tags: v ? [v] : [] })}
          options={[['', 'Any'], ...[...new Set([...state.tags, ...tags])].map((t): [string, string] => [t, t])]} />
        <Pick id="f-due" label="Due" value={state.due} set={(v) => set({ due: v as ListState['due'] })}
          options={[['', 'Any time'], ['overdue', 'Overdue'], ['today', 'Today'], ['week', 'This week'], ['range', 'Between dates…']]} />
        {state.due === 'range' && (
          <>
            <div class="fl">
              <label for="f-from">From</label>
              <input id="f-from" type="date" value={state.from} onChange={(e) => set({ from: e.currentTarget.value })} />
            </div>
            <div class="fl">
              <label for="f-to">To</label>
              <input id="f-to" type="date" value={state.to} onChange={(e) => set({ to: e.currentTarget.value })} />
            </div>
          </>
        )}
        <Pick id="f-sort" label="Sort" value={state.sort || defaultSort(state.view)} set={(v) => set({ sort: v as ListState['sort'] })}
          options={SORTS.map((x): [string, string] => [x, SORT_LABELS[x]])} />
        {hasFilters(state) && (
          <button type="button" onClick={() => props.setState({ ...state, q: '', status: '', priority: '', tags: [], due: '', from: '', to: '', sort: '' })}>
            Clear filters
          </button>
        )}
      </form>
      {error && (
        <p class="alert" role="alert">
          {error}{' '}
          <button class="link" onClick={() => load(false)}>
            Try again
          </button>
        </p>
      )}
      <ul class="tasks" aria-label={`${viewLabel}: tasks`} aria-busy={busy} id="tasks">
        {visible.map((t, i) =>
          editing === t.id ? (
            <li key={t.id} data-row={i} class="editing">
              <TaskForm
                idPrefix={`edit-${t.id.slice(0, 8)}`}
                task={t}
                autoFocus
                onSave={(f) => save(t, f)}
                onCancel={() => setEditing(null)}
              />
            </li>
          ) : (
            <li key={t.id} data-row={i} data-id={t.id} class={i === sel ? 'selected' : ''}>
              <div class={'task' + (t.status === 'completed' ? ' done' : '')}>
                <input
                  type="checkbox"
                  checked={t.status === 'completed'}
                  aria-label={`${t.status === 'completed' ? 'Reopen' : 'Complete'} “${t.title}”`}
                  onChange={() => toggle(t)}
                />
                <div class="body">
                  <button class="title" onClick={() => setEditing(t.id)} onFocus={() => setSel(i)} title="Edit">
                    {t.title}
                  </button>
                  <div class="meta">
                    <span class={'prio-' + t.priority}>{t.priority[0].toUpperCase() + t.priority.slice(1)}</span>
                    {t.due_at && (
                      <span class={t.status === 'pending' && isOverdue(t.due_at, now) ? 'overdue' : ''}>
                        {t.status === 'pending' && isOverdue(t.due_at, now) ? 'Overdue: ' : 'Due '}
                        <time dateTime={t.due_at}>{formatDue(t.due_at, now)}</time>
                      </span>
                    )}
                    {t.rrule && <span title={t.rrule}>↻ {describeRule(t.rrule)}</span>}
                    {(t.remind_before_minutes != null || t.remind_at) && (
                      <span>
                        Reminder{' '}
                        {t.remind_before_minutes != null
                          ? minutesLabel(t.remind_before_minutes)
                          : formatDue(t.remind_at!, now)}
                      </span>
                    )}
                    {t.tags.map((g) => (
                      <span class="tag" key={g}>
                        #{g}
                      </span>
                    ))}
                    {t.description && <span class="sr-only">Notes: {t.description}</span>}
                  </div>
                </div>
                <div class="actions">
                  <button onClick={() => setEditing(t.id)} aria-label={`Edit “${t.title}”`}>
                    Edit
                  </button>
                  <button class="danger" onClick={() => askRemove(t)} aria-label={`Delete “${t.title}”`}>
                    Delete
                  </button>
                </div>
              </div>
            </li>
          ),
        )}
        {loaded && !visible.length && !busy && (
          <li class="empty">{hasFilters(state) ? 'No task matches these filters.' : 'Nothing here yet. Add a task above.'}</li>
        )}
        {cursor && (
          <li ref={sentinel} class="empty">
            <button onClick={() => load(true)} disabled={loading}>
              {loading ? 'Loading…' : 'Load more'}
            </button>
          </li>
        )}
      </ul>
      <p class="muted" aria-live="polite">
        {loaded ? `${visible.length}${cursor ? '+' : ''} task${visible.length === 1 ? '' : 's'} shown` : 'Loading…'}
      </p>
      {creating !== null && (
        <Modal title="New task" id="new-task" onClose={() => setCreating(null)}>
          <TaskForm
            idPrefix="new"
            task={null}
            initialTitle={creating}
            autoFocus
            onSave={async (f) => {
              await create(f);
              setCreating(null);
            }}
            onCancel={() => setCreating(null)}
          />
        </Modal>
      )}
      {askDelete && (
        <Modal title="Delete a repeating task" id="ask-delete" onClose={() => setAskDelete(null)}>
          <p>“{askDelete.title}” repeats. Delete only this occurrence, or end the whole series?</p>
          <div class="row">
            <button onClick={() => remove(askDelete, false)}>Delete this one</button>
            <button class="danger" onClick={() => remove(askDelete, true)}>
              End the series
            </button>
            <button onClick={() => setAskDelete(null)}>Cancel</button>
          </div>
        </Modal>
      )}
      {conflict && (
        <ConflictDialog
          c={conflict}
          onClose={() => setConflict(null)}
          keepTheirs={() => {
            put(conflict.theirs);
            setConflict(null);
          }}
          keepMine={async () => {
            try {
              const n = await session.json<Task>('PATCH', `/tasks/${conflict.theirs.id}`, {
                body: conflict.mine,
                headers: { 'If-Match': `"${conflict.theirs.version}"` },
              });
              put(n);
              setConflict(null);
            } catch (e) {
              if (e instanceof ApiError && e.status === 412) {
                const theirs = await session.json<Task>('GET', `/tasks/${conflict.theirs.id}`);
                setConflict({ ...conflict, theirs });
              } else toast({ text: describeError(e), kind: 'error', timeout: 6000 });
            }
          }}
        />
      )}
    </>
  );
}

/** A labelled filter select. */
function Pick(props: { id: string; label: string; value: string; set: (v: string) => void; options: [string, string][] }) {
  return (
    <div class="fl">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.set(e.currentTarget.value)}>
        {props.options.map(([v, l]) => (
          <option value={v} key={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

const LABELS: Record<string, string> = {
  title: 'Title',
  description: 'Notes',
  priority: 'Priority',
  tags: 'Tags',
  due_at: 'Due',
  remind_at: 'Reminder time',
  remind_before_minutes: 'Reminder',
  rrule: 'Repeat',
  recur_from: 'Repeat from',
  status: 'Status',
  time_zone: 'Time zone',
};

function show(k: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if ((k === 'due_at' || k === 'remind_at') && typeof v === 'string') return new Date(v).toLocaleString();
  if (Array.isArray(v)) return v.length ? v.join(', ') : '—';
  return String(v);
}

function ConflictDialog(props: { c: Conflict; onClose: () => void; keepMine: () => void; keepTheirs: () => void }) {
  const { base, mine, theirs } = props.c;
  const b = base as unknown as Record<string, unknown>;
  const th = theirs as unknown as Record<string, unknown>;
  const keys = Object.keys(LABELS).filter(
    (k) => k in mine || JSON.stringify(b[k]) !== JSON.stringify(th[k]),
  ).filter((k) => k !== 'time_zone' || k in mine);
  return (
    <Modal title="This task was changed elsewhere" id="conflict" onClose={props.onClose}>
      <p>
        Someone (maybe you, in another tab) saved “{theirs.title}” after you started editing. Compare and choose which
        version to keep.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Saved meanwhile</th>
            <th scope="col">Your change</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <th scope="row">{LABELS[k]}</th>
              <td>{show(k, th[k])}</td>
              <td>{k in mine ? show(k, (mine as Record<string, unknown>)[k]) : <span class="muted">unchanged</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="row gap-top">
        <button class="primary" onClick={props.keepMine}>
          Keep my changes
        </button>
        <button onClick={props.keepTheirs}>Keep the saved version</button>
      </div>
    </Modal>
  );
}
