import { describe, expect, it } from 'vitest';
import { SSEParser } from '../src/lib/sse';

describe('SSEParser', () => {
  it('reads events split anywhere, comments and retry', () => {
    const p = new SSEParser();
    const text = 'retry: 3000\n\n: heartbeat\n\nid: 7\nevent: notification\ndata: {"id":7}\n\nid: 8\r\nevent: notification\r\ndata: a\r\ndata: b\r\n\r\n';
    const out = [];
    for (let i = 0; i < text.length; i += 5) out.push(...p.feed(text.slice(i, i + 5)));
    expect(out).toEqual([
      { id: '7', event: 'notification', data: '{"id":7}' },
      { id: '8', event: 'notification', data: 'a\nb' },
    ]);
    expect(p.retry).toBe(3000);
  });
  it('gives no event for a block without data, and defaults to message', () => {
    const p = new SSEParser();
    expect(p.feed('event: x\n\ndata:y\n\n')).toEqual([{ id: undefined, event: 'message', data: 'y' }]);
  });
});
