import path from 'node:path';

/**
 * The directory that holds the built page: index.html, its CSS and the browser modules it loads
 * (compiled from src/page and src/model by tsconfig.browser.json). The order service serves it
 * as static files at `/live/`.
 */
export const livePageDirectory: string = path.resolve(__dirname, '..', 'public');

/** The event stream parser the page reads the stream with; tools that follow the stream use it too. */
export { SseParser, type ServerSentEvent } from './model/sse-parser';

export type {
  LiveConfig,
  LiveOrder,
  LiveOrderStatus,
  LiveQueuesEvent,
  LiveSagaStep,
  LiveStep,
  LiveStepAction,
  LiveStepOutcome,
  LiveStepsEvent,
} from './protocol';
