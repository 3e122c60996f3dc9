import express from 'express';
import { operatorOnly, parseRequest, type Express } from '@shop/http';
import { livePageDirectory, type LiveConfig } from '@shop/live-page';
import { liveEventsQuery, type LivePageConfig } from './live-api';
import type { LiveBroadcast } from './live-broadcast';

export interface LiveRoutesOptions {
  broadcast: LiveBroadcast;
  /** The saga the page draws: its steps in order, and which of them can be undone. */
  saga: { name: string; steps: readonly { name: string; compensation?: unknown }[] };
  links: LiveConfig['links'];
  operatorToken: string | undefined;
}

/** A watcher whose unsent output grows past this is too slow to follow; it reconnects and catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const KEEP_ALIVE_MS = 15_000;

/**
 * The live page: its files at `/live/`, what it needs to know at `/live/config.json`, and the saga
 * as it runs at `/live/events`, a server-sent event stream. The stream shows every order's saga,
 * so, like the order list, it is an operator endpoint.
 */
export function liveRoutes({ broadcast, saga, links, operatorToken }: LiveRoutesOptions) {
  const operator = operatorOnly(operatorToken);
  const config: LivePageConfig = {
    saga: { name: saga.name, steps: saga.steps.map((step) => ({ name: step.name, compensable: step.compensation !== undefined })) },
    links,
  };
  return (app: Express) => {
    app.get('/live/config.json', (_req, res) => {
      res.json(config);
    });

    app.get('/live/events', operator, async (req, res) => {
      const { events } = parseRequest(liveEventsQuery, req.query, 'query');
      res.status(200).set({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // A proxy in front (nginx and the like) must pass each event on as it comes.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      req.socket.setNoDelay(true);
      res.write(': the saga step log, as it is committed\n\n');

      const lastEventId = Number.parseInt(req.get('last-event-id') ?? '', 10);
      const send = (chunk: string) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
        else res.write(chunk);
      };
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      const stop = await broadcast.watch(send, () => res.end(), {
        lastEventId: Number.isSafeInteger(lastEventId) ? lastEventId : undefined,
        steps: events !== 'queues',
      });
      const end = () => {
        clearInterval(keepAlive);
        stop();
      };
      if (res.destroyed) end();
      else res.on('close', end);
    });

    // The page's files; `/live` answers with a redirect to `/live/`.
    app.use('/live', express.static(livePageDirectory, { index: 'index.html', fallthrough: true }));
  };
}
