// Recurrence in the browser: the presets of the task form as RRULEs (and
// back), and the next occurrences of a rule, expanded in local time so the
// person sees them before saving. The server (libical) stays the judge of
// what is valid; the preview covers the parts of RFC 5545 people write by
// hand and says so for the rest.

export type Preset = 'none' | 'daily' | 'weekdays' | 'weekly' | 'monthly' | 'custom';

/** RFC 5545 day codes, indexed like Date.getDay(). */
export const DAY_CODES = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
export const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const WEEKDAYS = [1, 2, 3, 4, 5];

export interface Recurrence {
  preset: Preset;
  /** weekly: the chosen days, as Date.getDay() numbers */
  days: number[];
  /** custom: the rule as typed */
  custom: string;
}

const sortDays = (d: number[]) => [...new Set(d)].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));

/** The RRULE for a form's recurrence; null for none. */
export function toRRule(r: Recurrence, fallbackDay = 1): string | null {
  switch (r.preset) {
    case 'daily':
      return 'FREQ=DAILY';
    case 'weekdays':
      return 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
    case 'weekly': {
      const days = sortDays(r.days.length ? r.days : [fallbackDay]);
      return 'FREQ=WEEKLY;BYDAY=' + days.map((d) => DAY_CODES[d]).join(',');
    }
    case 'monthly':
      return 'FREQ=MONTHLY';
    case 'custom': {
      const s = r.custom.trim().replace(/^RRULE:/i, '');
      return s ? s : null;
    }
    default:
      return null;
  }
}

/** The form's view of a stored rule: a preset when it is exactly one. */
export function fromRRule(rule: string | null | undefined): Recurrence {
  const none: Recurrence = { preset: 'none', days: [], custom: '' };
  if (!rule) return none;
  const s = rule.trim().replace(/^RRULE:/i, '');
  const parts = new Map<string, string>();
  for (const p of s.split(';')) {
    const [k, v] = p.split('=');
    if (k && v !== undefined) parts.set(k.toUpperCase(), v.toUpperCase());
  }
  const keys = [...parts.keys()].sort().join(',');
  const freq = parts.get('FREQ');
  if (keys === 'FREQ' && freq === 'DAILY') return { ...none, preset: 'daily' };
  if (keys === 'FREQ' && freq === 'MONTHLY') return { ...none, preset: 'monthly' };
  if (keys === 'BYDAY,FREQ' && freq === 'WEEKLY') {
    const days = parts.get('BYDAY')!.split(',').map((c) => DAY_CODES.indexOf(c));
    if (days.every((d) => d >= 0)) {
      const sorted = sortDays(days);
      if (sorted.join() === WEEKDAYS.join()) return { ...none, preset: 'weekdays' };
      return { ...none, preset: 'weekly', days: sorted };
    }
  }
  return { preset: 'custom', days: [], custom: s };
}

type Freq = 'YEARLY' | 'MONTHLY' | 'WEEKLY' | 'DAILY' | 'HOURLY';

export interface Rule {
  freq: Freq;
  interval: number;
  count?: number;
  until?: Date;
  byday?: { n: number; wd: number }[];
  bymonthday?: number[];
  bymonth?: number[];
  byhour?: number[];
  byminute?: number[];
  bysetpos?: number[];
  wkst: number;
}

export class RuleError extends Error {}

function ints(v: string, lo: number, hi: number, name: string, noZero = false): number[] {
  return v.split(',').map((x) => {
    if (!/^[+-]?\d+$/.test(x)) throw new RuleError(`${name} must be a list of numbers`);
    const n = parseInt(x, 10);
    if (n < lo || n > hi || (noZero && n === 0)) throw new RuleError(`${name} value ${x} is out of range`);
    return n;
  });
}

function parseUntil(v: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(v);
  if (!m) throw new RuleError('UNTIL must look like 20261231 or 20261231T235900Z');
  const [y, mo, d, h = '23', mi = '59', s = '59'] = [m[1], m[2], m[3], m[4], m[5], m[6]];
  if (m[7]) return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  return new Date(+y, +mo - 1, +d, +h, +mi, +s);
}

/** Reads an RRULE (with or without "RRULE:"); throws RuleError saying why not. */
export function parseRule(text: string): Rule {
  const s = text.trim().replace(/^RRULE:/i, '');
  if (!s) throw new RuleError('the rule is empty');
  const r: Partial<Rule> & { wkst: number; interval: number } = { wkst: 1, interval: 1 };
  const seen = new Set<string>();
  for (const part of s.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new RuleError(`"${part}" is not NAME=VALUE`);
    const k = part.slice(0, eq).toUpperCase();
    const v = part.slice(eq + 1).toUpperCase();
    if (seen.has(k)) throw new RuleError(`${k} appears twice`);
    seen.add(k);
    switch (k) {
      case 'FREQ':
        if (v === 'SECONDLY' || v === 'MINUTELY')
          throw new RuleError('repeating more often than hourly is not allowed');
        if (!['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY'].includes(v))
          throw new RuleError(`FREQ=${v} is not a frequency`);
        r.freq = v as Freq;
        break;
      case 'INTERVAL':
        r.interval = ints(v, 1, 10000, 'INTERVAL')[0];
        break;
      case 'COUNT':
        r.count = ints(v, 1, 100000, 'COUNT')[0];
        break;
      case 'UNTIL':
        r.until = parseUntil(v);
        break;
      case 'BYDAY':
        r.byday = v.split(',').map((x) => {
          const m = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(x);
          if (!m) throw new RuleError(`BYDAY value ${x} is not a day like MO or 1FR`);
          const n = m[1] ? parseInt(m[1], 10) : 0;
          if (Math.abs(n) > 53) throw new RuleError(`BYDAY value ${x} is out of range`);
          return { n, wd: DAY_CODES.indexOf(m[2]) };
        });
        break;
      case 'BYMONTHDAY':
        r.bymonthday = ints(v, -31, 31, 'BYMONTHDAY', true);
        break;
      case 'BYMONTH':
        r.bymonth = ints(v, 1, 12, 'BYMONTH');
        break;
      case 'BYHOUR':
        r.byhour = ints(v, 0, 23, 'BYHOUR');
        break;
      case 'BYMINUTE':
        r.byminute = ints(v, 0, 59, 'BYMINUTE');
        break;
      case 'BYSETPOS':
        r.bysetpos = ints(v, -366, 366, 'BYSETPOS', true);
        break;
      case 'WKST': {
        const i = DAY_CODES.indexOf(v);
        if (i < 0) throw new RuleError(`WKST=${v} is not a day`);
        r.wkst = i;
        break;
      }
      case 'BYSECOND':
      case 'BYWEEKNO':
      case 'BYYEARDAY':
        throw new RuleError(`${k} is valid, but this preview cannot show it`);
      default:
        throw new RuleError(`${k} is not part of an RRULE`);
    }
  }
  if (!r.freq) throw new RuleError('FREQ is missing');
  if (r.count && r.until) throw new RuleError('COUNT and UNTIL cannot both be set');
  if (r.byday?.some((d) => d.n !== 0) && !['MONTHLY', 'YEARLY'].includes(r.freq))
    throw new RuleError('numbered days (like 1MO) need FREQ=MONTHLY or YEARLY');
  return r as Rule;
}

const daysIn = (y: number, m: number) => new Date(y, m + 1, 0).getDate();

/** Days of month m (0-based) of year y that match the BYDAY specs. */
function weekdaysInMonth(y: number, m: number, specs: { n: number; wd: number }[]): number[] {
  const out: number[] = [];
  const len = daysIn(y, m);
  for (const { n, wd } of specs) {
    const all: number[] = [];
    for (let d = 1; d <= len; d++) if (new Date(y, m, d).getDay() === wd) all.push(d);
    if (n === 0) out.push(...all);
    else {
      const d = n > 0 ? all[n - 1] : all[all.length + n];
      if (d) out.push(d);
    }
  }
  return out;
}

function monthDays(y: number, m: number, bymd: number[]): number[] {
  const len = daysIn(y, m);
  return bymd.map((d) => (d > 0 ? d : len + d + 1)).filter((d) => d >= 1 && d <= len);
}

/** The candidate days (local midnight) of one period of the rule. */
function periodDays(r: Rule, start: Date, p: number): Date[] {
  const y0 = start.getFullYear();
  const m0 = start.getMonth();
  const d0 = start.getDate();
  switch (r.freq) {
    case 'HOURLY':
    case 'DAILY': {
      const day = new Date(y0, m0, d0 + (r.freq === 'DAILY' ? p * r.interval : 0));
      return [day];
    }
    case 'WEEKLY': {
      const back = (start.getDay() - r.wkst + 7) % 7;
      const first = new Date(y0, m0, d0 - back + p * 7 * r.interval);
      const days = r.byday ? r.byday.map((d) => d.wd) : [start.getDay()];
      const out: Date[] = [];
      for (let i = 0; i < 7; i++) {
        const d = new Date(first.getFullYear(), first.getMonth(), first.getDate() + i);
        if (days.includes(d.getDay())) out.push(d);
      }
      return out;
    }
    case 'MONTHLY': {
      const t = new Date(y0, m0 + p * r.interval, 1);
      return inMonth(r, t.getFullYear(), t.getMonth(), d0);
    }
    case 'YEARLY': {
      const y = y0 + p * r.interval;
      const months =
        r.bymonth ?? (r.bymonthday ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : r.byday ? null : [m0 + 1]);
      if (!months) {
        // BYDAY across the whole year: 1MO is the year's first Monday.
        const out: Date[] = [];
        for (const { n, wd } of r.byday!) {
          const all: Date[] = [];
          for (let d = new Date(y, 0, 1); d.getFullYear() === y; d = new Date(y, d.getMonth(), d.getDate() + 1))
            if (d.getDay() === wd) all.push(d);
          if (n === 0) out.push(...all);
          else {
            const d = n > 0 ? all[n - 1] : all[all.length + n];
            if (d) out.push(d);
          }
        }
        return out;
      }
      return months.flatMap((m) => inMonth(r, y, m - 1, d0));
    }
  }
}

function inMonth(r: Rule, y: number, m: number, d0: number): Date[] {
  let days: number[];
  if (r.bymonthday) {
    days = monthDays(y, m, r.bymonthday);
    if (r.byday) {
      const wds = r.byday.map((d) => d.wd);
      days = days.filter((d) => wds.includes(new Date(y, m, d).getDay()));
    }
  } else if (r.byday) days = weekdaysInMonth(y, m, r.byday);
  else days = d0 <= daysIn(y, m) ? [d0] : []; // RFC 5545: a missing day is skipped
  return [...new Set(days)].map((d) => new Date(y, m, d));
}

/**
 * The first n occurrences of rule from start (the due date, itself the
 * first occurrence when it matches), optionally only those after `after`.
 * In the browser's time zone. Throws RuleError for what it cannot read.
 */
export function nextOccurrences(rule: string | Rule, start: Date, n: number, after?: Date): Date[] {
  const r = typeof rule === 'string' ? parseRule(rule) : rule;
  const out: Date[] = [];
  let seen = 0;
  const hours = r.byhour ?? [start.getHours()];
  const minutes = r.byminute ?? [start.getMinutes()];
  const maxPeriods = r.freq === 'YEARLY' ? 200 : r.freq === 'MONTHLY' ? 2400 : 20000;
  for (let p = 0; p < maxPeriods; p++) {
    let set: Date[] = [];
    if (r.freq === 'HOURLY') {
      const t = new Date(start.getTime() + p * r.interval * 3_600_000);
      set = [t];
    } else {
      for (const day of periodDays(r, start, p))
        for (const h of hours)
          for (const mi of minutes)
            set.push(new Date(day.getFullYear(), day.getMonth(), day.getDate(), h, mi, start.getSeconds()));
    }
    set = set.filter((d) => {
      if (r.bymonth && !r.bymonth.includes(d.getMonth() + 1)) return false;
      if (r.freq === 'HOURLY' || r.freq === 'DAILY') {
        if (r.byday && !r.byday.some((x) => x.wd === d.getDay())) return false;
        if (r.bymonthday && !monthDays(d.getFullYear(), d.getMonth(), r.bymonthday).includes(d.getDate()))
          return false;
        if (r.freq === 'HOURLY' && r.byhour && !r.byhour.includes(d.getHours())) return false;
      }
      return true;
    });
    set.sort((a, b) => a.getTime() - b.getTime());
    set = set.filter((d, i) => i === 0 || d.getTime() !== set[i - 1].getTime());
    if (r.bysetpos) {
      const pick = r.bysetpos.map((i) => (i > 0 ? set[i - 1] : set[set.length + i])).filter(Boolean);
      set = [...new Set(pick)].sort((a, b) => a.getTime() - b.getTime());
    }
    for (const d of set) {
      if (d.getTime() < start.getTime()) continue;
      if (r.until && d.getTime() > r.until.getTime()) return out;
      seen++;
      if (r.count && seen > r.count) return out;
      if (!after || d.getTime() > after.getTime()) {
        out.push(d);
        if (out.length >= n) return out;
      }
    }
  }
  return out;
}

/** A short description of a rule for the list: "Daily", "Weekdays", ... */
export function describeRule(rule: string): string {
  const r = fromRRule(rule);
  switch (r.preset) {
    case 'daily':
      return 'Daily';
    case 'weekdays':
      return 'Weekdays';
    case 'monthly':
      return 'Monthly';
    case 'weekly':
      return r.days.length === 7 ? 'Every day' : 'Weekly on ' + r.days.map((d) => DAY_NAMES[d]).join(', ');
    default:
      return 'Repeats';
  }
}
