// The chat panel: talks to ai-agent (POST /api/chat, streamed as SSE when
// the server does), shows the tool calls it made, refreshes the task list
// when tasks changed, and keeps past conversations.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, errorFrom, type Session } from '../lib/api';
import { browserZone } from '../lib/dates';
import { SSEParser } from '../lib/sse';
import type { ChatAnswer, ChatMessage, Conversation, Page, ToolCall } from '../lib/types';

interface Msg {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  tool_calls: ToolCall[];
  pending?: boolean;
}

function unavailable(e: unknown): string {
  if (e instanceof ApiError && (e.status === 404 || e.status === 405))
    return 'The assistant is not available on this server (it answered 404).';
  if (e instanceof ApiError && e.status >= 500) return `The assistant failed (${e.status}): ${describeError(e)}`;
  return describeError(e);
}

/** Sends one turn; calls onPart as a streamed answer arrives. */
async function send(session: Session, body: object, onPart: (m: Partial<Msg>) => void): Promise<ChatAnswer> {
  const r = await session.fetch('POST', '/chat', { body, headers: { Accept: 'text/event-stream, application/json' } });
  if (!r.ok) throw await errorFrom(r);
  if (!(r.headers.get('Content-Type') ?? '').includes('text/event-stream') || !r.body) return (await r.json()) as ChatAnswer;
  const parser = new SSEParser();
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const calls: ToolCall[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const e of parser.feed(value)) {
      const d = JSON.parse(e.data);
      if (e.event === 'delta') onPart({ content: (text += d.text ?? '') });
      else if (e.event === 'tool_call') {
        calls.push({ name: d.name, arguments: d.arguments ?? {}, result: null, error: null });
        onPart({ tool_calls: [...calls] });
      } else if (e.event === 'tool_result') {
        const c = [...calls].reverse().find((x) => x.name === d.name && x.result == null && x.error == null);
        if (c) Object.assign(c, { result: d.result ?? null, error: d.error ?? null });
        onPart({ tool_calls: [...calls] });
      } else if (e.event === 'done') return d as ChatAnswer;
      else if (e.event === 'error') throw new ApiError(502, d.error?.code ?? 'error', d.error?.message ?? 'the assistant failed');
    }
  }
  throw new ApiError(502, 'incomplete', 'the answer stopped before it was complete');
}

function Tools({ calls }: { calls: ToolCall[] }) {
  if (!calls.length) return null;
  return (
    <div class="tools">
      {calls.map((c, i) => (
        <details key={i}>
          <summary>
            Tool: {c.name}
            {c.error ? ' — failed' : c.result == null ? '…' : ' ✓'}
          </summary>
          <pre>{JSON.stringify(c.arguments, null, 1)}</pre>
          {c.error && <p class="error">{c.error.message}</p>}
          {c.result != null && <pre>{JSON.stringify(c.result, null, 1)}</pre>}
        </details>
      ))}
    </div>
  );
}

export function Chat(props: { session: Session; close: () => void; onTasksChanged: () => void; draft?: string }) {
  const { session } = props;
  const [convs, setConvs] = useState<Conversation[]>([]);
  const [conv, setConv] = useState<string>('');
  const [msgs, setMsgs] = useState<Msg[]>([]);
  const [text, setText] = useState(props.draft ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const list = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  const loadConvs = () =>
    session
      .json<Page<Conversation>>('GET', '/conversations?limit=20')
      .then((p) => setConvs(p.items))
      .catch(() => undefined);

  useEffect(() => {
    loadConvs();
    input.current?.focus();
  }, []);
  useEffect(() => {
    if (props.draft) setText(props.draft);
  }, [props.draft]);
  useEffect(() => list.current?.scrollTo(0, list.current.scrollHeight), [msgs]);

  const open = async (id: string) => {
    setConv(id);
    setError('');
    if (!id) {
      setMsgs([]);
      return;
    }
    try {
      const c = await session.json<{ messages: ChatMessage[] }>('GET', `/conversations/${id}`);
      setMsgs(c.messages.map((m) => ({ ...m, tool_calls: m.tool_calls ?? [] })));
    } catch (e) {
      setError(unavailable(e));
    }
  };

  const remove = async () => {
    if (!conv) return;
    try {
      await session.json('DELETE', `/conversations/${conv}`);
      setConv('');
      setMsgs([]);
      loadConvs();
    } catch (e) {
      setError(unavailable(e));
    }
  };

  const submit = async (e?: Event) => {
    e?.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    setBusy(true);
    setError('');
    const mine: Msg = { id: 'u' + Date.now(), role: 'user', content: message, tool_calls: [] };
    const reply: Msg = { id: 'a' + Date.now(), role: 'assistant', content: '', tool_calls: [], pending: true };
    setMsgs((m) => [...m, mine, reply]);
    setText('');
    const update = (p: Partial<Msg>) => setMsgs((m) => m.map((x) => (x.id === reply.id ? { ...x, ...p } : x)));
    try {
      const body: Record<string, string> = { message, time_zone: browserZone() };
      if (conv) body.conversation_id = conv;
      const a = await send(session, body, update);
      update({ content: a.reply, tool_calls: a.tool_calls ?? [], pending: false });
      if (!conv) {
        setConv(a.conversation_id);
        loadConvs();
      }
      if (a.tasks_changed) props.onTasksChanged();
    } catch (err) {
      // Not sent: the words go back to the input, not into the log.
      setMsgs((m) => m.filter((x) => x.id !== reply.id && x.id !== mine.id));
      setText(message);
      setError(unavailable(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside class="chat" aria-label="Assistant" id="chat" onKeyDown={(e) => e.key === 'Escape' && props.close()}>
      <div class="head">
        <h2 class="spacer">Assistant</h2>
        <button aria-label="Close the assistant" onClick={props.close}>
          ×
        </button>
      </div>
      <div class="head">
        <label for="conv" class="sr-only">
          Conversation
        </label>
        <select id="conv" class="spacer" value={conv} onChange={(e) => open(e.currentTarget.value)}>
          <option value="">New conversation</option>
          {convs.map((c) => (
            <option value={c.id} key={c.id}>
              {c.title || new Date(c.created_at).toLocaleString()}
            </option>
          ))}
        </select>
        {conv && (
          <button onClick={remove} aria-label="Delete this conversation">
            Delete
          </button>
        )}
      </div>
      <div class="msgs" ref={list} aria-live="polite" data-testid="chat-log">
        {!msgs.length && <p class="muted">Ask in plain words: “add buy milk tomorrow at 9”, “what is due this week?”, “complete the milk task”.</p>}
        {msgs.map((m) => (
          <div class={'msg ' + m.role} key={m.id}>
            <span class="sr-only">{m.role === 'user' ? 'You: ' : 'Assistant: '}</span>
            {m.content || (m.pending ? '…' : '')}
            <Tools calls={m.tool_calls} />
          </div>
        ))}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <form onSubmit={submit}>
        <label for="chat-input" class="sr-only">
          Message the assistant
        </label>
        <textarea
          id="chat-input"
          ref={input}
          rows={2}
          maxLength={4000}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <button class="primary" type="submit" disabled={busy || !text.trim()}>
          Send
        </button>
      </form>
    </aside>
  );
}
