// The URL holds the view and the filters, so a reload or a shared link
// shows the same list: /today?q=milk&priority=high&tag=home&sort=due_at.
// Defaults are left out of the URL.
import { dueRange, type DueFilter, startOfDay, addDays, toRfc3339 } from './dates';
import type { Priority, Status } from './types';

export type View = 'all' | 'today' | 'upcoming' | 'completed';
export const VIEWS: { view: View; path: string; label: string }[] = [
  { view: 'all', path: '/', label: 'All tasks' },
  { view: 'today', path: '/today', label: 'Today' },
  { view: 'upcoming', path: '/upcoming', label: 'Upcoming' },
  { view: 'completed', path: '/completed', label: 'Completed' },
];

export const SORTS = ['-created_at', 'created_at', 'due_at', '-due_at', '-priority', 'priority', 'title', '-title'] as const;
export type Sort = (typeof SORTS)[number];

export interface ListState {
  view: View;
  q: string;
  status: '' | Status;
  priority: '' | Priority;
  tags: string[];
  due: DueFilter;
  from: string;
  to: string;
  /** '' means the view's own default */
  sort: '' | Sort;
}

export const EMPTY: ListState = { view: 'all', q: '', status: '', priority: '', tags: [], due: '', from: '', to: '', sort: '' };

/** The sort a view uses when none is chosen. */
export function defaultSort(v: View): Sort {
  return v === 'today' || v === 'upcoming' ? 'due_at' : '-created_at';
}

const oneOf = <T extends string>(v: string | null, allowed: readonly T[]): T | '' =>
  v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : '';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The list state of a URL; null when the path is no list view. Unknown
 * or bad values are dropped, never an error. */
export function parseState(pathname: string, search: string): ListState | null {
  const path = pathname.replace(/\/+$/, '') || '/';
  const v = VIEWS.find((x) => x.path === path);
  if (!v) return null;
  const p = new URLSearchParams(search);
  const from = p.get('from') ?? '';
  const to = p.get('to') ?? '';
  const tags = [...new Set(p.getAll('tag').map((t) => t.trim().toLowerCase()).filter(Boolean))].slice(0, 20);
  return {
    view: v.view,
    q: (p.get('q') ?? '').slice(0, 200),
    status: oneOf(p.get('status'), ['pending', 'completed'] as const),
    priority: oneOf(p.get('priority'), ['high', 'medium', 'low'] as const),
    tags,
    due: oneOf(p.get('due'), ['overdue', 'today', 'week', 'range'] as const),
    from: DATE.test(from) ? from : '',
    to: DATE.test(to) ? to : '',
    sort: oneOf(p.get('sort'), SORTS),
  };
}

/** The URL (path and query) of a list state. */
export function toUrl(s: ListState): string {
  const path = VIEWS.find((x) => x.view === s.view)!.path;
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.status) p.set('status', s.status);
  if (s.priority) p.set('priority', s.priority);
  for (const t of s.tags) p.append('tag', t);
  if (s.due) p.set('due', s.due);
  if (s.due === 'range') {
    if (s.from) p.set('from', s.from);
    if (s.to) p.set('to', s.to);
  }
  if (s.sort && s.sort !== defaultSort(s.view)) p.set('sort', s.sort);
  const q = p.toString();
  return q ? `${path}?${q}` : path;
}

const later = (a?: string, b?: string) => (!a ? b : !b ? a : new Date(a) > new Date(b) ? a : b);
const earlier = (a?: string, b?: string) => (!a ? b : !b ? a : new Date(a) < new Date(b) ? a : b);

/**
 * The GET /api/tasks query of a list state at time now: the view's own
 * conditions, then the filters; where both bound the due date, the tighter
 * bound holds (a filter narrows a view, never widens it).
 */
export function toApiQuery(s: ListState, now: Date, limit = 50): URLSearchParams {
  const p = new URLSearchParams();
  const tomorrow = toRfc3339(addDays(startOfDay(now), 1));
  let status: string = s.status;
  let after: string | undefined;
  let before: string | undefined;
  if (s.view === 'today') {
    status = 'pending';
    before = tomorrow; // overdue ones too: they still need doing today
  } else if (s.view === 'upcoming') {
    status = 'pending';
    after = tomorrow;
  } else if (s.view === 'completed') status = 'completed';
  const r = dueRange(s.due, now, s.from, s.to);
  after = later(after, r.due_after);
  before = earlier(before, r.due_before);
  if (s.q.trim()) p.set('q', s.q.trim());
  if (status) p.set('status', status);
  if (s.priority) p.set('priority', s.priority);
  for (const t of s.tags) p.append('tag', t);
  if (after) p.set('due_after', after);
  if (before) p.set('due_before', before);
  if (r.overdue) p.set('overdue', 'true');
  p.set('sort', s.sort || defaultSort(s.view));
  p.set('limit', String(limit));
  return p;
}

/** Whether any filter (beyond the view) is set. */
export function hasFilters(s: ListState): boolean {
  return !!(s.q || s.status || s.priority || s.tags.length || s.due || s.sort);
}
