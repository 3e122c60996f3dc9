import { SseParser, type ServerSentEvent } from '../model/sse-parser.js';

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'retrying'; inMs: number; reason: string }
  /** 401 or 403: the token is wrong; no retry until a new one is given. */
  | { kind: 'refused'; status: number }
  /** 404: the order service has no OPERATOR_TOKEN, so its operator endpoints are off. */
  | { kind: 'off' }
  | { kind: 'stopped' };

interface StreamHandlers {
  event(event: ServerSentEvent): void;
  state(state: StreamState): void;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/**
 * The order service's event stream, read with fetch so it can carry the operator token
 * (EventSource cannot send headers). When the connection drops it reconnects with jittered
 * exponential backoff (from the server's `retry:` when it sent one, up to 30 s) and
 * `Last-Event-ID`, so the server sends what was missed.
 */
export class LiveStream {
  private controller: AbortController | undefined;
  private lastEventId = '';
  private retryMs = FIRST_RETRY_MS;

  constructor(
    private readonly url: string,
    private readonly handlers: StreamHandlers,
  ) {}

  /** Starts (or restarts, with a new token) reading the stream. */
  start(token: string): void {
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    void this.run(token, controller.signal);
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
  }

  private async run(token: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      this.handlers.state({ kind: 'connecting' });
      let reason: string;
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
        if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
        const response = await fetch(this.url, { headers, signal, cache: 'no-store' });
        if (response.status === 401 || response.status === 403) {
          this.handlers.state({ kind: 'refused', status: response.status });
          return;
        }
        if (response.status === 404) {
          this.handlers.state({ kind: 'off' });
          return;
        }
        if (!response.ok || !response.body) throw new Error(`the server answered ${response.status}`);
        this.handlers.state({ kind: 'live' });
        failures = 0;
        await this.read(response.body, signal);
        reason = 'the stream ended';
      } catch (error) {
        if (signal.aborted) return;
        reason = error instanceof Error ? error.message : String(error);
      }
      // Full jitter: many pages reconnecting after a restart do not all arrive at once.
      const ceiling = Math.min(MAX_RETRY_MS, this.retryMs * 2 ** failures);
      const inMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      failures += 1;
      this.handlers.state({ kind: 'retrying', inMs, reason });
      await sleep(inMs, signal);
    }
  }

  private async read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const parser = new SseParser((event) => {
      this.lastEventId = event.lastEventId;
      this.handlers.event(event);
    });
    parser.lastEventId = this.lastEventId;
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      while (!signal.aborted) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.push(decoder.decode(value, { stream: true }));
        if (parser.retryMs !== undefined) this.retryMs = parser.retryMs;
      }
    } finally {
      reader.releaseLock();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
