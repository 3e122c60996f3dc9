import { errorResponse, operatorOperation, refusedBody, type ApiPaths } from '@shop/http';
import type { LiveConfig } from '@shop/live-page';
import { z } from 'zod';

// The live page's two endpoints, described in the order service's OpenAPI document. The page's
// own TypeScript types (@shop/live-page's protocol) are what the routes build; `liveConfig` must
// produce exactly that type, so the two cannot drift apart.

const linkTemplate = z
  .string()
  .nullable()
  .meta({ description: 'A URL with `{traceId}` or `{orderId}` to fill in; null when the deployment has no such UI.' });

const liveConfig = z
  .object({
    saga: z.object({
      name: z.string(),
      steps: z.array(z.object({ name: z.string(), compensable: z.boolean() })).meta({ description: 'In the order they run.' }),
    }),
    links: z.object({ trace: linkTemplate, mail: linkTemplate, queues: linkTemplate }),
  })
  .meta({ id: 'LivePageConfig' });

export const liveEventsQuery = z.object({
  events: z
    .enum(['all', 'queues'])
    .default('all')
    .meta({ description: '`queues`: the queue depths only, as `npm run load -- --spike` follows them without the step batches.' }),
});

/** The config the page is served; typed by both the schema and the page's own type. */
export type LivePageConfig = z.output<typeof liveConfig> & LiveConfig;

export const livePaths: ApiPaths = {
  '/live/config.json': {
    get: {
      operationId: 'getLivePageConfig',
      summary: "The live page's settings",
      description: 'The saga the page draws (its steps, and which can be undone) and where it links each order.',
      tags: ['live page'],
      responses: { 200: { description: 'The settings.', content: { 'application/json': { schema: liveConfig } } }, ...refusedBody },
    },
  },
  '/live/events': {
    get: operatorOperation({
      operationId: 'streamSagas',
      summary: 'Every saga as it runs (server-sent events)',
      description: [
        'A stream of server-sent events for the live page (`/live/`), from the moment of the request:',
        '- `steps`: the saga step log rows committed since the last event (`steps`: order id, step, `invoke` or `compensate`, outcome, detail, time) and each order they touch as it stands now (`orders`). The event id is the last row id.',
        "- `queues`: every service's work and dead-letter queue with its ready messages, every 2 s.",
        'A client that reconnects with `Last-Event-ID` first gets the rows it missed (up to 5,000). The payloads are typed in `packages/live-page/src/protocol.ts`.',
      ].join('\n'),
      tags: ['live page'],
      requestParams: {
        query: liveEventsQuery,
        header: z.object({
          'Last-Event-ID': z
            .string()
            .regex(/^\d+$/)
            .optional()
            .meta({ description: 'The id of the last event received before a reconnection.' }),
        }),
      },
      responses: {
        200: { description: 'The stream; it stays open.', content: { 'text/event-stream': { schema: z.string() } } },
        400: errorResponse('`events` is neither `all` nor `queues` (`validation_failed`).'),
      },
    }),
  },
};
