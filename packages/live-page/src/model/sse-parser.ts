/** One server-sent event, as the HTML standard's event stream format dispatches it. */
export interface ServerSentEvent {
  /** `message` when the event named none. */
  event: string;
  data: string;
  /** The last event id seen on the stream so far (it carries over events without an `id:`). */
  lastEventId: string;
}

/**
 * A parser of `text/event-stream`, fed decoded text in chunks of any size. The page reads the
 * stream with fetch (EventSource cannot send an Authorization header), so it parses it itself:
 * lines end in CRLF, LF or CR; `data:` lines join with LF; a blank line dispatches; `id:` sets the
 * last event id; `retry:` the reconnection delay; lines starting with `:` are comments.
 */
export class SseParser {
  lastEventId = '';
  /** The server's `retry:` in milliseconds, when it sent one. */
  retryMs: number | undefined;
  private buffer = '';
  private data: string[] = [];
  private eventType = '';

  constructor(private readonly dispatch: (event: ServerSentEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const end = this.lineEnd(start);
      if (end === undefined) break;
      this.line(this.buffer.slice(start, end.at));
      start = end.next;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** Feeds it a whole byte stream, decoded as UTF-8 across chunk boundaries (a node response body). */
  async pushAll(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of chunks) this.push(decoder.decode(chunk, { stream: true }));
  }

  /** Where the line from `start` ends, or undefined while it is incomplete. */
  private lineEnd(start: number): { at: number; next: number } | undefined {
    for (let i = start; i < this.buffer.length; i += 1) {
      const char = this.buffer.charCodeAt(i);
      if (char === 10) return { at: i, next: i + 1 };
      if (char === 13) {
        // A CR at the end of the chunk may be half of a CRLF: wait for the next chunk.
        if (i + 1 === this.buffer.length) return undefined;
        return { at: i, next: this.buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1 };
      }
    }
    return undefined;
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatchEvent();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }

  private dispatchEvent(): void {
    const data = this.data;
    const eventType = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    this.dispatch({ event: eventType || 'message', data: data.join('\n'), lastEventId: this.lastEventId });
  }
}
