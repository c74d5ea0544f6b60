// Server-Sent Events over fetch rather than EventSource: the stream needs
// a fresh access token on every reconnect (the gateway ends it when the
// token expires) and EventSource can neither send headers nor change its
// URL. Resumes with Last-Event-ID, as EventSource would.
import type { Session } from './api';

export interface SSEEvent {
  id?: string;
  event: string;
  data: string;
}

/** Incremental text/event-stream parser (the WHATWG rules). */
export class SSEParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  /** the last "retry:" value seen, in ms */
  retry?: number;

  feed(chunk: string): SSEEvent[] {
    this.buf += chunk;
    const out: SSEEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buf.length - 1)) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === '') {
        if (this.data.length) out.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.data = [];
        this.event = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let value = c < 0 ? '' : line.slice(c + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id' && !value.includes('\0')) this.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retry = parseInt(value, 10);
    }
    return out;
  }
}

export type StreamState = 'connecting' | 'open' | 'closed';

export interface LiveOptions {
  path: string; // under /api
  onEvent: (e: SSEEvent) => void;
  onState?: (s: StreamState) => void;
  lastId?: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(res, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      res();
    });
  });

/** A stream that stays open: reconnects (fresh token, Last-Event-ID) until stop(). */
export class LiveStream {
  private ctl = new AbortController();
  lastId?: string;

  constructor(
    private session: Session,
    private o: LiveOptions,
  ) {
    this.lastId = o.lastId;
  }

  stop() {
    this.ctl.abort();
  }

  async run(): Promise<void> {
    const signal = this.ctl.signal;
    let failures = 0;
    let retry = 3000;
    while (!signal.aborted) {
      this.o.onState?.('connecting');
      let opened = false;
      const began = Date.now();
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        if (this.lastId) headers['Last-Event-ID'] = this.lastId;
        const r = await this.session.fetch('GET', this.o.path, { headers, signal });
        if (r.ok && r.body) {
          opened = true;
          this.o.onState?.('open');
          const parser = new SSEParser();
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const e of parser.feed(value)) {
              if (e.id) this.lastId = e.id;
              this.o.onEvent(e);
            }
          }
          if (parser.retry) retry = parser.retry;
        } else if (r.status === 401) return; // signed out: the session says so
      } catch (e) {
        if (signal.aborted) break;
        if ((e as { status?: number })?.status === 401) return;
      }
      if (signal.aborted) break;
      this.o.onState?.('closed');
      // An orderly end (token expiry, a backlog part) reconnects at once;
      // failures back off up to the server's retry and then 30 s.
      const orderly = opened && Date.now() - began > 2000;
      failures = orderly ? 0 : failures + 1;
      await sleep(orderly ? 50 : Math.min(30_000, retry * 2 ** (failures - 1)), signal);
    }
    this.o.onState?.('closed');
  }
}
