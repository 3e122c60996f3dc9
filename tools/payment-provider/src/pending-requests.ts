import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The requests the provider holds on purpose: latency waits and hung answers. Closing ends them
 * at once, so a stopping provider neither waits out a latency nor keeps a hung socket.
 */
export class PendingRequests {
  private readonly hung = new Set<ServerResponse>();
  private readonly closing = new AbortController();

  /** Rejects when the provider closes during the wait. */
  async wait(ms: number): Promise<void> {
    this.closing.signal.throwIfAborted();
    if (ms > 0) await sleep(ms, undefined, { signal: this.closing.signal });
  }

  /** No timer: the response stays open until its client gives up or the provider closes. */
  hang(response: ServerResponse): void {
    this.hung.add(response);
    response.once('close', () => this.hung.delete(response));
  }

  get hungCount(): number {
    return this.hung.size;
  }

  closeAll(): void {
    this.closing.abort();
    for (const response of this.hung) response.destroy();
    this.hung.clear();
  }
}
