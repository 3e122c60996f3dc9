import type { LiveQueuesEvent } from '../protocol.js';
import { byId, element } from './element.js';

/** The work queues' ready messages, from the stream's `queues` events; hidden until the first. */
export class QueuePanel {
  private readonly panel = byId<HTMLElement>('queue-panel');
  private readonly rows = byId<HTMLTableSectionElement>('queue-rows');
  private readonly at = byId<HTMLElement>('queue-at');

  render(event: LiveQueuesEvent): void {
    this.panel.hidden = false;
    const max = Math.max(10, ...event.queues.map((q) => q.ready ?? 0));
    this.rows.replaceChildren(
      ...event.queues.map((q) =>
        element(
          'tr',
          { 'data-queue': q.name },
          element('th', { scope: 'row' }, q.name),
          element('td', {}, q.ready === null ? '?' : q.ready.toLocaleString()),
          element('td', {}, element('meter', { min: '0', max: String(max), value: String(q.ready ?? 0), 'aria-hidden': 'true' })),
        ),
      ),
    );
    this.at.textContent = `at ${new Date(event.at).toLocaleTimeString()}`;
  }
}
