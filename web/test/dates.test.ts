import { describe, expect, it } from 'vitest';
import { addDays, dueRange, formatDue, fromLocalInput, startOfWeek, toLocalInput, toRfc3339 } from '../src/lib/dates';

describe('dates', () => {
  it('write RFC 3339 with the local offset and read it back', () => {
    const d = new Date(2026, 2, 1, 9, 30);
    const s = toRfc3339(d);
    expect(s).toMatch(/^2026-03-01T09:30:00[+-]\d{2}:\d{2}$/);
    expect(new Date(s).getTime()).toBe(d.getTime());
    expect(toLocalInput(s)).toBe('2026-03-01T09:30');
    expect(fromLocalInput('2026-03-01T09:30')).toBe(s);
    expect(fromLocalInput('2026-03-01')).toBeNull();
    expect(toLocalInput(null)).toBe('');
  });
  it('weeks start on Monday', () => {
    expect(startOfWeek(new Date(2026, 0, 11, 15)).getDate()).toBe(5); // Sunday 11 -> Monday 5
    expect(startOfWeek(new Date(2026, 0, 5, 0)).getDate()).toBe(5);
  });
  it('due filters become API ranges', () => {
    const now = new Date(2026, 0, 7, 15, 0); // Wednesday
    expect(dueRange('overdue', now)).toEqual({ overdue: true });
    expect(dueRange('today', now)).toEqual({ due_after: toRfc3339(new Date(2026, 0, 7)), due_before: toRfc3339(new Date(2026, 0, 8)) });
    expect(dueRange('week', now)).toEqual({ due_after: toRfc3339(new Date(2026, 0, 5)), due_before: toRfc3339(new Date(2026, 0, 12)) });
    expect(dueRange('range', now, '2026-02-01', '2026-02-03')).toEqual({ due_after: toRfc3339(new Date(2026, 1, 1)), due_before: toRfc3339(new Date(2026, 1, 4)) });
    expect(dueRange('range', now, 'bad', '')).toEqual({});
    expect(dueRange('', now)).toEqual({});
  });
  it('say when a task is due in words', () => {
    const now = new Date(2026, 0, 7, 15, 0);
    expect(formatDue(toRfc3339(new Date(2026, 0, 7, 18)), now, 'en-GB')).toBe('Today 18:00');
    expect(formatDue(toRfc3339(new Date(2026, 0, 8, 9)), now, 'en-GB')).toBe('Tomorrow 09:00');
    expect(formatDue(toRfc3339(new Date(2026, 0, 6, 9)), now, 'en-GB')).toBe('Yesterday 09:00');
    expect(formatDue(toRfc3339(new Date(2026, 0, 10, 9)), now, 'en-GB')).toBe('Sat 09:00');
    expect(formatDue(toRfc3339(new Date(2027, 0, 10, 9)), now, 'en-GB')).toBe('10 Jan 2027, 09:00');
    expect(addDays(new Date(2026, 0, 31), 1).getMonth()).toBe(1);
  });
});
