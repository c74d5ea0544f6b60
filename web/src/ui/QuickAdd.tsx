// Quick add: a line of plain language, read by ai-agent's planner
// (POST /api/chat/parse) and previewed before it becomes a task. When the
// planner cannot be asked, the person is told and chooses; nothing is
// added behind their back.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, type Session } from '../lib/api';
import { browserZone, formatDue } from '../lib/dates';
import { describeRule } from '../lib/rrule';
import type { ParseAnswer, TaskFields } from '../lib/types';

type Outcome =
  | { kind: 'ok'; text: string; answer: ParseAnswer }
  | { kind: 'failed'; text: string; message: string };

export function summarize(a: TaskFields, now = new Date()): string {
  const parts = [`“${a.title ?? ''}”`];
  if (a.due_at) parts.push('due ' + formatDue(a.due_at, now));
  if (a.priority) parts.push(a.priority + ' priority');
  if (a.tags?.length) parts.push(a.tags.map((t) => '#' + t).join(' '));
  if (a.rrule) parts.push(describeRule(a.rrule).toLowerCase());
  if (a.remind_before_minutes != null) parts.push(`reminder ${a.remind_before_minutes} min before`);
  else if (a.remind_at) parts.push('reminder ' + formatDue(a.remind_at, now));
  return parts.join(' · ');
}

export function QuickAdd(props: {
  session: Session;
  create: (f: TaskFields) => Promise<void>;
  openForm: (title: string) => void;
  openChat: (text: string) => void;
  inputRef: { current: HTMLInputElement | null };
}) {
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const seq = useRef(0);

  const parse = async (line: string): Promise<Outcome> => {
    try {
      const answer = await props.session.json<ParseAnswer>('POST', '/chat/parse', {
        body: { text: line, time_zone: browserZone() },
      });
      return { kind: 'ok', text: line, answer };
    } catch (e) {
      let message = describeError(e);
      if (e instanceof ApiError && (e.status === 404 || e.status === 405))
        message = 'The plain-language reader is not available on this server (it answered 404).';
      else if (e instanceof ApiError && e.status >= 500)
        message = `The plain-language reader failed (${e.status}): ${message}`;
      return { kind: 'failed', text: line, message };
    }
  };

  // Preview while typing, a moment after the last key.
  useEffect(() => {
    const line = text.trim();
    setError('');
    if (!line) {
      setOutcome(null);
      return;
    }
    const n = ++seq.current;
    const t = setTimeout(async () => {
      const o = await parse(line);
      if (n === seq.current) setOutcome(o);
    }, 350);
    return () => clearTimeout(t);
  }, [text]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const line = text.trim();
    if (!line || busy) return;
    setBusy(true);
    try {
      seq.current++;
      const o = outcome && outcome.text === line ? outcome : await parse(line);
      setOutcome(o);
      if (o.kind !== 'ok' || !o.answer.understood || o.answer.tool !== 'add_task') return;
      const args = { ...o.answer.arguments } as TaskFields;
      if (args.rrule && !args.time_zone) args.time_zone = browserZone();
      await props.create(args);
      setText('');
      setOutcome(null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const line = text.trim();
  const o = outcome && outcome.text === line ? outcome : null;
  return (
    <>
      <form class="quickadd" onSubmit={submit} aria-label="Quick add">
        <label for="quick-add" class="sr-only">
          Quick add a task in plain words
        </label>
        <input
          id="quick-add"
          ref={(el) => {
            props.inputRef.current = el;
          }}
          value={text}
          placeholder="Add a task: “Pay rent on the 1st every month #home high”"
          autocomplete="off"
          onInput={(e) => setText(e.currentTarget.value)}
          aria-describedby="quick-add-preview"
        />
        <button type="submit" class="primary" disabled={busy || !line}>
          Add
        </button>
      </form>
      <div id="quick-add-preview" class="preview" aria-live="polite">
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {o?.kind === 'ok' && o.answer.understood && o.answer.tool === 'add_task' && (
          <p class="muted" data-testid="quick-preview">
            Press Enter to add {summarize(o.answer.arguments)}
          </p>
        )}
        {o?.kind === 'ok' && o.answer.understood && o.answer.tool !== 'add_task' && (
          <div class="alert">
            <p>
              That reads as a request to {o.answer.tool.replace(/_/g, ' ')}, not a new task. {o.answer.reply}
            </p>
            <button type="button" onClick={() => props.openChat(line)}>
              Ask the assistant
            </button>
          </div>
        )}
        {o?.kind === 'ok' && !o.answer.understood && (
          <div class="alert">
            <p>{o.answer.reply || 'That line was not understood as a task.'}</p>
            <button type="button" onClick={() => props.openForm(line)}>
              Open the full form
            </button>
          </div>
        )}
        {o?.kind === 'failed' && (
          <div class="alert" role="alert" data-testid="quick-unavailable">
            <p>{o.message} Nothing was added.</p>
            <div class="row">
              <button type="button" onClick={() => props.openForm(line)}>
                Open the full form with this title
              </button>
              <button
                type="button"
                onClick={async () => {
                  try {
                    await props.create({ title: line });
                    setText('');
                    setOutcome(null);
                  } catch (err) {
                    setError(describeError(err));
                  }
                }}
              >
                Add “{line.length > 40 ? line.slice(0, 40) + '…' : line}” as the title
              </button>
            </div>
          </div>
        )}
      </div>
    </>
  );
}
