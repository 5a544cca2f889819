// A small SSE client over fetch for the real-time tests: the stream's messages parsed and
// queued as they arrive (each stamped with its arrival time), taken by predicate or in order.
import { expect } from 'vitest';

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
  /** Date.now() when the chunk that completed it arrived. */
  receivedAt: number;
}

export interface SseClient {
  response: Response;
  /** The next message matching `match` (removed from the queue), or an error after timeoutMs. */
  take(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** The next `status` event's parsed data, id and arrival time. */
  nextStatus(
    timeoutMs?: number,
  ): Promise<{ id: string; data: Record<string, unknown>; receivedAt: number }>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

function parseBlock(block: string, receivedAt: number): SseMessage {
  const message: SseMessage = { receivedAt };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      message.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') {
      message[field] = value;
    }
  }
  return message;
}

export async function connectSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers,
    signal: controller.signal,
  });
  const queue: SseMessage[] = [];
  // An object, not a `let`: TypeScript cannot see the closures that assign it.
  const waiter: { wake: (() => void) | null } = { wake: null };
  let isEnded = false;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });
  const finish = () => {
    isEnded = true;
    resolveEnded();
    waiter.wake?.();
  };

  const body = response.body;
  if (body && response.headers.get('content-type')?.startsWith('text/event-stream')) {
    (async () => {
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const receivedAt = Date.now();
          buffer += value;
          let cut = buffer.indexOf('\n\n');
          while (cut !== -1) {
            queue.push(parseBlock(buffer.slice(0, cut), receivedAt));
            buffer = buffer.slice(cut + 2);
            cut = buffer.indexOf('\n\n');
          }
          waiter.wake?.();
        }
      } catch {
        // aborted by close()
      }
      finish();
    })();
  } else {
    finish();
  }

  async function take(match: (m: SseMessage) => boolean, timeoutMs = 2_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = queue.findIndex(match);
      if (index !== -1) return queue.splice(index, 1)[0] as SseMessage;
      if (isEnded) throw new Error('stream ended before the expected message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiter.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      waiter.wake = null;
    }
  }

  return {
    response,
    take,
    async nextStatus(timeoutMs) {
      // Status events in arrival order; heartbeats are skipped, not consumed out of order.
      const m = await take((msg) => msg.event !== undefined, timeoutMs);
      expect(m.event).toBe('status');
      return { id: m.id as string, data: JSON.parse(m.data as string), receivedAt: m.receivedAt };
    },
    ended,
    close: () => controller.abort(),
  };
}
