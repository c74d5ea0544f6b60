import { describe, expect, it } from 'vitest';
import { describeRule, fromRRule, nextOccurrences, parseRule, RuleError, toRRule } from '../src/lib/rrule';

const local = (y: number, m: number, d: number, h = 9, mi = 0) => new Date(y, m - 1, d, h, mi);
const days = (ds: Date[]) => ds.map((d) => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()} ${d.getHours()}:${String(d.getMinutes()).padStart(2, '0')}`);

describe('presets', () => {
  it('turn into rules', () => {
    expect(toRRule({ preset: 'none', days: [], custom: '' })).toBeNull();
    expect(toRRule({ preset: 'daily', days: [], custom: '' })).toBe('FREQ=DAILY');
    expect(toRRule({ preset: 'weekdays', days: [], custom: '' })).toBe('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR');
    expect(toRRule({ preset: 'weekly', days: [0, 3, 1], custom: '' })).toBe('FREQ=WEEKLY;BYDAY=MO,WE,SU');
    expect(toRRule({ preset: 'weekly', days: [], custom: '' }, 5)).toBe('FREQ=WEEKLY;BYDAY=FR');
    expect(toRRule({ preset: 'monthly', days: [], custom: '' })).toBe('FREQ=MONTHLY');
    expect(toRRule({ preset: 'custom', days: [], custom: ' RRULE:FREQ=YEARLY ' })).toBe('FREQ=YEARLY');
    expect(toRRule({ preset: 'custom', days: [], custom: '  ' })).toBeNull();
  });
  it('are read back from rules', () => {
    expect(fromRRule(null).preset).toBe('none');
    expect(fromRRule('FREQ=DAILY').preset).toBe('daily');
    expect(fromRRule('RRULE:freq=monthly').preset).toBe('monthly');
    expect(fromRRule('FREQ=WEEKLY;BYDAY=FR,TH,WE,TU,MO').preset).toBe('weekdays');
    expect(fromRRule('FREQ=WEEKLY;BYDAY=SU,MO')).toEqual({ preset: 'weekly', days: [1, 0], custom: '' });
    expect(fromRRule('FREQ=DAILY;INTERVAL=2')).toEqual({ preset: 'custom', days: [], custom: 'FREQ=DAILY;INTERVAL=2' });
    expect(fromRRule('FREQ=WEEKLY;BYDAY=1MO').preset).toBe('custom');
  });
  it('round-trip', () => {
    for (const r of ['FREQ=DAILY', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'FREQ=WEEKLY;BYDAY=TU,SA', 'FREQ=MONTHLY', 'FREQ=MONTHLY;BYDAY=-1FR'])
      expect(toRRule(fromRRule(r))).toBe(r);
  });
  it('describe themselves', () => {
    expect(describeRule('FREQ=WEEKLY;BYDAY=MO,WE')).toBe('Weekly on Mon, Wed');
    expect(describeRule('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR')).toBe('Weekdays');
    expect(describeRule('FREQ=YEARLY')).toBe('Repeats');
  });
});

describe('parseRule', () => {
  it('refuses what the server refuses or the preview cannot show', () => {
    expect(() => parseRule('FREQ=MINUTELY')).toThrow(/hourly/);
    expect(() => parseRule('INTERVAL=2')).toThrow(/FREQ is missing/);
    expect(() => parseRule('FREQ=DAILY;COUNT=2;UNTIL=20300101')).toThrow(RuleError);
    expect(() => parseRule('FREQ=DAILY;BYDAY=1MO')).toThrow(/MONTHLY/);
    expect(() => parseRule('FREQ=YEARLY;BYWEEKNO=20')).toThrow(/cannot show/);
    expect(() => parseRule('FREQ=DAILY;FOO=1')).toThrow(/not part/);
    expect(() => parseRule('FREQ=DAILY;BYMONTHDAY=0')).toThrow(/range/);
  });
});

describe('nextOccurrences', () => {
  it('daily from the due date, which is the first', () => {
    expect(days(nextOccurrences('FREQ=DAILY', local(2026, 3, 30, 18), 3))).toEqual(['2026-3-30 18:00', '2026-3-31 18:00', '2026-4-1 18:00']);
  });
  it('every other day after a point', () => {
    expect(days(nextOccurrences('FREQ=DAILY;INTERVAL=2', local(2026, 1, 1), 2, local(2026, 1, 4)))).toEqual(['2026-1-5 9:00', '2026-1-7 9:00']);
  });
  it('weekdays skip the weekend', () => {
    // 2026-01-09 is a Friday
    expect(days(nextOccurrences('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', local(2026, 1, 9), 3))).toEqual(['2026-1-9 9:00', '2026-1-12 9:00', '2026-1-13 9:00']);
  });
  it('weekly on chosen days, every second week', () => {
    // Monday 2026-01-05; weeks of 5 Jan, 19 Jan
    expect(days(nextOccurrences('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH', local(2026, 1, 5), 4))).toEqual(['2026-1-5 9:00', '2026-1-8 9:00', '2026-1-19 9:00', '2026-1-22 9:00']);
  });
  it('weekly starting mid-week leaves out the days before the start', () => {
    expect(days(nextOccurrences('FREQ=WEEKLY;BYDAY=MO,FR', local(2026, 1, 7), 2))).toEqual(['2026-1-9 9:00', '2026-1-12 9:00']);
  });
  it('monthly on the 31st skips short months', () => {
    expect(days(nextOccurrences('FREQ=MONTHLY', local(2026, 1, 31), 3))).toEqual(['2026-1-31 9:00', '2026-3-31 9:00', '2026-5-31 9:00']);
  });
  it('monthly on the last Friday and on the last day', () => {
    expect(days(nextOccurrences('FREQ=MONTHLY;BYDAY=-1FR', local(2026, 1, 1), 2))).toEqual(['2026-1-30 9:00', '2026-2-27 9:00']);
    expect(days(nextOccurrences('FREQ=MONTHLY;BYMONTHDAY=-1', local(2026, 1, 1), 2))).toEqual(['2026-1-31 9:00', '2026-2-28 9:00']);
  });
  it('the last weekday of the month with BYSETPOS', () => {
    // Jan 2026 ends on Saturday 31: the last weekday is Friday 30.
    expect(days(nextOccurrences('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', local(2026, 1, 1), 2))).toEqual(['2026-1-30 9:00', '2026-2-27 9:00']);
  });
  it('yearly, leap day only in leap years', () => {
    expect(days(nextOccurrences('FREQ=YEARLY', local(2024, 2, 29), 2))).toEqual(['2024-2-29 9:00', '2028-2-29 9:00']);
    expect(days(nextOccurrences('FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', local(2026, 1, 1), 1))).toEqual(['2026-11-26 9:00']);
  });
  it('COUNT and UNTIL end the series', () => {
    expect(nextOccurrences('FREQ=DAILY;COUNT=3', local(2026, 1, 1), 10)).toHaveLength(3);
    expect(nextOccurrences('FREQ=DAILY;COUNT=3', local(2026, 1, 1), 10, local(2026, 1, 2))).toHaveLength(1);
    expect(days(nextOccurrences('FREQ=DAILY;UNTIL=20260103', local(2026, 1, 1), 10))).toEqual(['2026-1-1 9:00', '2026-1-2 9:00', '2026-1-3 9:00']);
  });
  it('BYHOUR gives several times a day', () => {
    expect(days(nextOccurrences('FREQ=DAILY;BYHOUR=8,20;BYMINUTE=30', local(2026, 1, 1, 12), 3))).toEqual(['2026-1-1 20:30', '2026-1-2 8:30', '2026-1-2 20:30']);
  });
  it('hourly steps hours', () => {
    expect(days(nextOccurrences('FREQ=HOURLY;INTERVAL=6', local(2026, 1, 1, 9), 3))).toEqual(['2026-1-1 9:00', '2026-1-1 15:00', '2026-1-1 21:00']);
  });
  it('keeps the wall-clock time across a DST change', () => {
    const ds = nextOccurrences('FREQ=DAILY', local(2026, 3, 27, 9), 5);
    expect(ds.every((d) => d.getHours() === 9)).toBe(true);
  });
});
