// The full task form: new tasks (in a dialog) and inline edits. It sends
// only what changed on an edit, and shows each API error beside its field.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { browserZone, fromLocalInput, REMINDER_PRESETS, minutesLabel, toLocalInput } from '../lib/dates';
import { DAY_NAMES, fromRRule, nextOccurrences, type Preset, type Recurrence, RuleError, toRRule } from '../lib/rrule';
import type { Priority, Task, TaskFields } from '../lib/types';
import { FieldError, fieldErrors } from './common';

const FIELDS = ['title', 'description', 'priority', 'tags', 'due_at', 'remind_at', 'remind_before_minutes', 'rrule', 'time_zone', 'recur_from'];

export function parseTags(s: string): string[] {
  return [...new Set(s.split(',').map((t) => t.trim().replace(/^#/, '').toLowerCase()).filter(Boolean))];
}

/** The fields of `next` that differ from `base` (all set ones when no base). */
export function changedFields(base: Task | null, next: TaskFields): TaskFields {
  if (!base) {
    const out: TaskFields = {};
    for (const [k, v] of Object.entries(next)) if (v !== null && v !== undefined && v !== '') (out as any)[k] = v;
    return out;
  }
  const out: TaskFields = {};
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const b = base as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(next)) {
    if (k === 'due_at' || k === 'remind_at') {
      const t1 = b[k] ? new Date(b[k] as string).getTime() : null;
      const t2 = v ? new Date(v as string).getTime() : null;
      if (t1 !== t2) (out as any)[k] = v;
    } else if (k === 'time_zone') continue;
    else if (!same(b[k] ?? (k === 'description' ? '' : null), v ?? (k === 'description' ? '' : null))) (out as any)[k] = v;
  }
  // The reminder is one thing in two forms: send the form in use only.
  if ('remind_at' in out && next.remind_before_minutes != null) delete out.remind_at;
  if ('remind_before_minutes' in out && next.remind_before_minutes == null && next.remind_at != null)
    delete out.remind_before_minutes;
  if (out.rrule) out.time_zone = next.time_zone;
  return out;
}

type Reminder = 'none' | 'at' | string; // or minutes before, as a string

export function TaskForm(props: {
  task: Task | null;
  onSave: (fields: TaskFields) => Promise<void>;
  onCancel: () => void;
  idPrefix: string;
  autoFocus?: boolean;
  /** a new task's title to start from (quick add's line) */
  initialTitle?: string;
}) {
  const t = props.task;
  const p = props.idPrefix;
  const [title, setTitle] = useState(t?.title ?? props.initialTitle ?? '');
  const [description, setDescription] = useState(t?.description ?? '');
  const [priority, setPriority] = useState<Priority>(t?.priority ?? 'medium');
  const [tags, setTags] = useState((t?.tags ?? []).join(', '));
  const [due, setDue] = useState(toLocalInput(t?.due_at));
  const [reminder, setReminder] = useState<Reminder>(
    t?.remind_before_minutes != null ? String(t.remind_before_minutes) : t?.remind_at ? 'at' : 'none',
  );
  const [remindAt, setRemindAt] = useState(t?.remind_before_minutes == null ? toLocalInput(t?.remind_at) : '');
  const [rec, setRec] = useState<Recurrence>(fromRRule(t?.rrule));
  const [recurFrom, setRecurFrom] = useState<'due' | 'completion'>(t?.recur_from ?? 'due');
  const [busy, setBusy] = useState(false);
  const [errs, setErrs] = useState<{ byField: Record<string, string>; general: string }>({ byField: {}, general: '' });

  // A field's error goes once the person changes that field.
  const clear = (...fields: string[]) =>
    setErrs((e) => (fields.some((f) => e.byField[f]) ? { ...e, byField: Object.fromEntries(Object.entries(e.byField).filter(([k]) => !fields.includes(k))) } : e));
  useEffect(() => clear('title'), [title]);
  useEffect(() => clear('tags'), [tags]);
  useEffect(() => clear('due_at', 'remind_before_minutes'), [due]);
  useEffect(() => clear('remind_at', 'remind_before_minutes'), [reminder, remindAt]);

  const dueIso = fromLocalInput(due);
  const dueDay = dueIso ? new Date(dueIso).getDay() : new Date().getDay();
  const rrule = toRRule(rec, dueDay);
  useEffect(() => clear('rrule', 'recur_from'), [rrule]);

  // The next occurrences, computed here before anything is saved.
  const preview = useMemo(() => {
    if (!rrule) return null;
    try {
      const start = dueIso ? new Date(dueIso) : new Date();
      return { dates: nextOccurrences(rrule, start, 5), error: '' };
    } catch (e) {
      return { dates: [], error: e instanceof RuleError ? e.message : String(e) };
    }
  }, [rrule, dueIso]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!title.trim()) local.title = 'Give the task a title.';
    if (due && !dueIso) local.due_at = 'Enter a date and time.';
    if (reminder === 'at' && !fromLocalInput(remindAt)) local.remind_at = 'Choose when to be reminded.';
    if (reminder !== 'none' && reminder !== 'at' && !dueIso)
      local.remind_before_minutes = 'A reminder before the due time needs a due date.';
    if (Object.keys(local).length) {
      setErrs({ byField: local, general: '' });
      return;
    }
    const fields: TaskFields = {
      title: title.trim(),
      description,
      priority,
      tags: parseTags(tags),
      due_at: dueIso,
      remind_before_minutes: reminder !== 'none' && reminder !== 'at' ? Number(reminder) : null,
      remind_at: reminder === 'at' ? fromLocalInput(remindAt) : null,
      rrule,
      recur_from: rrule ? recurFrom : t ? t.recur_from : null,
      time_zone: browserZone(),
    };
    const send = changedFields(t, fields);
    if (!t && !rrule) delete send.time_zone;
    if (t && !rrule && t.rrule === null) delete send.recur_from;
    setBusy(true);
    setErrs({ byField: {}, general: '' });
    try {
      await props.onSave(send);
    } catch (err) {
      setErrs(fieldErrors(err, FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const err = (f: string) => errs.byField[f];
  const described = (f: string) => (err(f) ? `${p}-${f}-err` : undefined);
  const presetOptions: [Preset, string][] = [
    ['none', 'Does not repeat'],
    ['daily', 'Every day'],
    ['weekdays', 'Every weekday (Mon–Fri)'],
    ['weekly', 'Weekly on chosen days'],
    ['monthly', 'Every month on this day'],
    ['custom', 'Custom rule (RRULE)'],
  ];
  const reminderOptions = REMINDER_PRESETS.map((r) => [String(r.minutes), r.label]);
  if (reminder !== 'none' && reminder !== 'at' && !reminderOptions.some(([v]) => v === reminder))
    reminderOptions.push([reminder, minutesLabel(Number(reminder))]);

  return (
    <form
      class="task"
      onSubmit={submit}
      noValidate
      aria-label={t ? 'Edit task' : 'New task'}
      onKeyDown={(e) => {
        // An inline edit ends with Escape too (a dialog handles its own).
        if (e.key === 'Escape' && t) {
          e.preventDefault();
          props.onCancel();
        }
      }}
    >
      <label for={`${p}-title`}>Title</label>
      <input
        id={`${p}-title`}
        value={title}
        maxLength={500}
        autoFocus={props.autoFocus}
        onInput={(e) => setTitle(e.currentTarget.value)}
        aria-invalid={!!err('title')}
        aria-describedby={described('title')}
      />
      <FieldError id={`${p}-title-err`} text={err('title')} />
      <label for={`${p}-description`}>Notes</label>
      <textarea
        id={`${p}-description`}
        rows={2}
        value={description}
        maxLength={10000}
        onInput={(e) => setDescription(e.currentTarget.value)}
        aria-describedby={described('description')}
      />
      <FieldError id={`${p}-description-err`} text={err('description')} />
      <div class="grid">
        <div>
          <label for={`${p}-priority`}>Priority</label>
          <select id={`${p}-priority`} value={priority} onChange={(e) => setPriority(e.currentTarget.value as Priority)}>
            <option value="high">High</option>
            <option value="medium">Medium</option>
            <option value="low">Low</option>
          </select>
        </div>
        <div>
          <label for={`${p}-tags`}>Tags</label>
          <input
            id={`${p}-tags`}
            value={tags}
            placeholder="home, errands"
            onInput={(e) => setTags(e.currentTarget.value)}
            aria-invalid={!!err('tags')}
            aria-describedby={described('tags') ?? `${p}-tags-hint`}
          />
          <span class="sr-only" id={`${p}-tags-hint`}>
            Separate tags with commas
          </span>
          <FieldError id={`${p}-tags-err`} text={err('tags')} />
        </div>
        <div>
          <label for={`${p}-due`}>Due</label>
          <input
            id={`${p}-due`}
            type="datetime-local"
            value={due}
            onInput={(e) => setDue(e.currentTarget.value)}
            aria-invalid={!!err('due_at')}
            aria-describedby={described('due_at')}
          />
          <FieldError id={`${p}-due_at-err`} text={err('due_at')} />
        </div>
        <div>
          <label for={`${p}-reminder`}>Reminder</label>
          <select
            id={`${p}-reminder`}
            value={reminder}
            onChange={(e) => setReminder(e.currentTarget.value)}
            aria-invalid={!!err('remind_before_minutes')}
            aria-describedby={described('remind_before_minutes')}
          >
            <option value="none">No reminder</option>
            {reminderOptions.map(([v, l]) => (
              <option value={v} key={v}>
                {l}
              </option>
            ))}
            <option value="at">At a time I choose</option>
          </select>
          <FieldError id={`${p}-remind_before_minutes-err`} text={err('remind_before_minutes')} />
          {reminder === 'at' && (
            <>
              <label for={`${p}-remind-at`}>Remind me at</label>
              <input
                id={`${p}-remind-at`}
                type="datetime-local"
                value={remindAt}
                onInput={(e) => setRemindAt(e.currentTarget.value)}
                aria-invalid={!!err('remind_at')}
                aria-describedby={described('remind_at')}
              />
            </>
          )}
          <FieldError id={`${p}-remind_at-err`} text={err('remind_at')} />
        </div>
      </div>
      <fieldset>
        <legend>Repeat</legend>
        <label for={`${p}-repeat`} class="sr-only">
          Repeat
        </label>
        <select
          id={`${p}-repeat`}
          value={rec.preset}
          onChange={(e) => {
            const preset = e.currentTarget.value as Preset;
            setRec({ ...rec, preset, days: preset === 'weekly' && !rec.days.length ? [dueDay] : rec.days, custom: preset === 'custom' && !rec.custom ? rrule ?? '' : rec.custom });
          }}
        >
          {presetOptions.map(([v, l]) => (
            <option value={v} key={v}>
              {l}
            </option>
          ))}
        </select>
        {rec.preset === 'weekly' && (
          <div class="days" role="group" aria-label="Days of the week">
            {[1, 2, 3, 4, 5, 6, 0].map((d) => (
              <label key={d}>
                <input
                  type="checkbox"
                  checked={rec.days.includes(d)}
                  onChange={(e) =>
                    setRec({ ...rec, days: e.currentTarget.checked ? [...rec.days, d] : rec.days.filter((x) => x !== d) })
                  }
                />{' '}
                {DAY_NAMES[d]}
              </label>
            ))}
          </div>
        )}
        {rec.preset === 'custom' && (
          <>
            <label for={`${p}-rrule`}>Rule</label>
            <input
              id={`${p}-rrule`}
              value={rec.custom}
              placeholder="FREQ=MONTHLY;BYDAY=-1FR"
              spellcheck={false}
              onInput={(e) => setRec({ ...rec, custom: e.currentTarget.value })}
              aria-invalid={!!err('rrule')}
              aria-describedby={described('rrule')}
            />
          </>
        )}
        <FieldError id={`${p}-rrule-err`} text={err('rrule')} />
        {rrule && (
          <>
            <label for={`${p}-recur-from`}>Next one counts from</label>
            <select id={`${p}-recur-from`} value={recurFrom} onChange={(e) => setRecurFrom(e.currentTarget.value as 'due' | 'completion')}>
              <option value="due">the due date</option>
              <option value="completion">when I complete it</option>
            </select>
          </>
        )}
        {preview && (
          <div aria-live="polite">
            {preview.error ? (
              <p class="muted">Cannot preview this rule: {preview.error}.</p>
            ) : (
              <>
                <p class="muted">
                  {dueIso ? 'Next occurrences:' : 'Next occurrences (set a due date to anchor them):'}
                </p>
                <ol class="occ" data-testid="occurrences">
                  {preview.dates.map((d) => (
                    <li key={d.getTime()}>
                      {d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })}
                    </li>
                  ))}
                </ol>
              </>
            )}
          </div>
        )}
      </fieldset>
      {errs.general && (
        <p class="error" role="alert">
          {errs.general}
        </p>
      )}
      <div class="row gap-top">
        <button class="primary" type="submit" disabled={busy}>
          {t ? 'Save' : 'Add task'}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
