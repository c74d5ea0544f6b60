import { describe, expect, it } from 'vitest';
import { toRfc3339 } from '../src/lib/dates';
import { EMPTY, parseState, toApiQuery, toUrl } from '../src/lib/urlstate';

describe('URL state', () => {
  it('reads views and filters from a URL', () => {
    expect(parseState('/', '')).toEqual(EMPTY);
    expect(parseState('/today/', '?q=milk&priority=high&tag=Home&tag=home&tag=work&sort=title')).toEqual({
      ...EMPTY, view: 'today', q: 'milk', priority: 'high', tags: ['home', 'work'], sort: 'title',
    });
    expect(parseState('/settings', '')).toBeNull();
    expect(parseState('/nope', '')).toBeNull();
  });
  it('drops bad values rather than failing', () => {
    expect(parseState('/', '?priority=urgent&sort=random&due=never&from=yesterday&status=x')).toEqual(EMPTY);
  });
  it('round-trips, leaving defaults out', () => {
    const s = { ...EMPTY, view: 'upcoming' as const, q: 'a b', tags: ['x'], due: 'range' as const, from: '2026-01-01', to: '2026-01-31', sort: 'due_at' as const };
    const url = toUrl(s);
    expect(url).toBe('/upcoming?q=a+b&tag=x&due=range&from=2026-01-01&to=2026-01-31');
    const u = new URL(url, 'http://x');
    expect(parseState(u.pathname, u.search)).toEqual({ ...s, sort: '' });
    expect(toUrl(EMPTY)).toBe('/');
    expect(toUrl({ ...EMPTY, view: 'completed', due: 'today', from: '2026-01-01' })).toBe('/completed?due=today');
  });
  it('makes the API query of a view and its filters', () => {
    const now = new Date(2026, 0, 7, 15);
    const tomorrow = toRfc3339(new Date(2026, 0, 8));
    const q = (s: object) => Object.fromEntries(toApiQuery({ ...EMPTY, ...s }, now));
    expect(q({})).toEqual({ sort: '-created_at', limit: '50' });
    expect(q({ view: 'today' })).toEqual({ status: 'pending', due_before: tomorrow, sort: 'due_at', limit: '50' });
    expect(q({ view: 'upcoming', priority: 'low' })).toEqual({ status: 'pending', priority: 'low', due_after: tomorrow, sort: 'due_at', limit: '50' });
    expect(q({ view: 'completed', status: 'pending', sort: 'title' })).toEqual({ status: 'completed', sort: 'title', limit: '50' });
    // The tighter bound holds: a filter narrows a view.
    expect(q({ view: 'upcoming', due: 'week' })).toEqual({
      status: 'pending', due_after: tomorrow, due_before: toRfc3339(new Date(2026, 0, 12)), sort: 'due_at', limit: '50',
    });
    expect(q({ q: '  milk ', due: 'overdue' })).toEqual({ q: 'milk', overdue: 'true', sort: '-created_at', limit: '50' });
    expect(toApiQuery({ ...EMPTY, tags: ['a', 'b'] }, now).getAll('tag')).toEqual(['a', 'b']);
  });
});
