import { SseParser, type LiveQueuesEvent } from '@shop/live-page';
import { setTimeout as sleep } from 'node:timers/promises';
import { operatorHeaders } from './operator-token';

/** The ready messages of every queue at one moment (wall clock, ms since the epoch). */
export interface QueueSample {
  at: number;
  /** Summed over the work queues; dead letters apart. */
  ready: number;
  deadLetters: number;
  byQueue: Record<string, number>;
}

export interface QueueWatch {
  samples: QueueSample[];
  /** Why there are no samples, when the stream could not be read. */
  problem: string | undefined;
  /** Resolves once a reading finds the work queues empty (true), or after `timeoutMs` (false), or at once when the stream failed. */
  untilEmpty(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Follows the queues' depths while the load runs, from the order service's live stream with only
 * its `queues` events (`GET /live/events?events=queues`, an operator endpoint, every 2 s): the
 * depths RabbitMQ reports, with no broker credentials needed here and no step batches sent.
 */
export function watchQueues(url: string, operatorToken: string | undefined): QueueWatch {
  const controller = new AbortController();
  const watch: QueueWatch = {
    samples: [],
    problem: undefined,
    async untilEmpty(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      const seen = watch.samples.length;
      while (Date.now() < deadline && watch.problem === undefined && !controller.signal.aborted) {
        if (watch.samples.slice(seen).some((sample) => sample.ready === 0)) return true;
        await sleep(500);
      }
      return false;
    },
    async stop() {
      controller.abort();
      await reading;
    },
  };
  const parser = new SseParser((event) => {
    if (event.event !== 'queues') return;
    const data = JSON.parse(event.data) as LiveQueuesEvent;
    const byQueue = Object.fromEntries(data.queues.flatMap((queue) => (queue.ready === null ? [] : [[queue.name, queue.ready]])));
    const sum = (deadLetters: boolean) =>
      Object.entries(byQueue)
        .filter(([name]) => name.endsWith('.dead-letter') === deadLetters)
        .reduce((total, [, ready]) => total + ready, 0);
    watch.samples.push({ at: Date.parse(data.at), ready: sum(false), deadLetters: sum(true), byQueue });
  });
  const reading = (async () => {
    const response = await fetch(`${url}/live/events?events=queues`, {
      headers: operatorHeaders(operatorToken),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      watch.problem = `GET /live/events answered ${response.status}`;
      await response.body?.cancel();
      return;
    }
    await parser.pushAll(response.body);
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) watch.problem = `the queue depths stream failed: ${(error as Error).message}`;
  });
  return watch;
}
