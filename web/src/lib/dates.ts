// Dates in the browser's own time zone: what the inputs show, what the API
// receives (RFC 3339 with the local offset), and the due-date ranges of the
// filters and views.

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** RFC 3339 with the local offset, e.g. 2026-03-01T09:30:00+01:00. */
export function toRfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

/** The value of an <input type="datetime-local"> for an instant. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An <input type="datetime-local"> value (local wall time) as RFC 3339. */
export function fromLocalInput(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
  return isNaN(d.getTime()) ? null : toRfc3339(d);
}

/** A YYYY-MM-DD <input type="date"> value as local midnight. */
export function fromDateInput(v: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3]);
  return isNaN(d.getTime()) ? null : d;
}

export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** Calendar days later, at the same wall time (DST-safe). */
export function addDays(d: Date, n: number): Date {
  const r = new Date(d.getTime());
  r.setDate(r.getDate() + n);
  return r;
}

/** Monday 00:00 of d's week. */
export function startOfWeek(d: Date): Date {
  const s = startOfDay(d);
  return addDays(s, -((s.getDay() + 6) % 7));
}

export type DueFilter = '' | 'overdue' | 'today' | 'week' | 'range';

export interface DueRange {
  due_after?: string;
  due_before?: string;
  overdue?: boolean;
}

/** The API parameters for a due filter; from/to are YYYY-MM-DD, inclusive. */
export function dueRange(f: DueFilter, now: Date, from = '', to = ''): DueRange {
  const today = startOfDay(now);
  switch (f) {
    case 'overdue':
      return { overdue: true };
    case 'today':
      return { due_after: toRfc3339(today), due_before: toRfc3339(addDays(today, 1)) };
    case 'week': {
      const w = startOfWeek(now);
      return { due_after: toRfc3339(w), due_before: toRfc3339(addDays(w, 7)) };
    }
    case 'range': {
      const r: DueRange = {};
      const a = fromDateInput(from);
      const b = fromDateInput(to);
      if (a) r.due_after = toRfc3339(a);
      if (b) r.due_before = toRfc3339(addDays(b, 1));
      return r;
    }
    default:
      return {};
  }
}

const DAY = 86_400_000;

/** "Today 14:00", "Tomorrow 09:00", "Yesterday 18:00", "Mon 14:00" within
 * the week ahead, else "3 Mar 2026, 14:00" (the year only when not this one). */
export function formatDue(iso: string, now: Date, locale?: string): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  const days = Math.round((startOfDay(d).getTime() - startOfDay(now).getTime()) / DAY);
  if (days === 0) return `Today ${time}`;
  if (days === 1) return `Tomorrow ${time}`;
  if (days === -1) return `Yesterday ${time}`;
  if (days > 1 && days < 7) return `${d.toLocaleDateString(locale, { weekday: 'short' })} ${time}`;
  const opts: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short' };
  if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
  return `${d.toLocaleDateString(locale, opts)}, ${time}`;
}

export function isOverdue(iso: string | null, now: Date): boolean {
  return !!iso && new Date(iso).getTime() < now.getTime();
}

/** Reminder choices: minutes before the due time, or an exact time. */
export const REMINDER_PRESETS: { label: string; minutes: number }[] = [
  { label: 'At due time', minutes: 0 },
  { label: '5 minutes before', minutes: 5 },
  { label: '15 minutes before', minutes: 15 },
  { label: '30 minutes before', minutes: 30 },
  { label: '1 hour before', minutes: 60 },
  { label: '1 day before', minutes: 1440 },
];

export function minutesLabel(m: number): string {
  const p = REMINDER_PRESETS.find((x) => x.minutes === m);
  if (p) return p.label.toLowerCase();
  if (m % 1440 === 0) return `${m / 1440} days before`;
  if (m % 60 === 0) return `${m / 60} hours before`;
  return `${m} minutes before`;
}
