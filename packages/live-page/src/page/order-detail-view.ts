import type { OrderEntry } from '../model/order-book.js';
import { durationOf, formatDuration, sagaTimeline, type TimelineEntry } from '../model/saga-timeline.js';
import type { LiveConfig } from '../protocol.js';
import { byId, element } from './element.js';
import { shownStatus, stateMark } from './order-status.js';

type LinkName = keyof LiveConfig['links'];

/**
 * The selected order: its outcome, its links (trace, email, queues), then its saga as a timeline:
 * each step of the definition with when its command was sent and answered, then the
 * compensations in the order they ran, which is the steps' reverse. The links are fixed elements
 * that are only patched, so a keyboard user's focus on one survives the order's updates.
 */
export class OrderDetailView {
  private readonly heading = byId<HTMLHeadingElement>('detail-heading');
  private readonly outcome = byId<HTMLParagraphElement>('detail-outcome');
  private readonly facts = byId<HTMLDListElement>('detail-facts');
  private readonly links = byId<HTMLElement>('detail-links');
  private readonly steps = byId<HTMLTableSectionElement>('detail-steps');
  private readonly compensations = byId<HTMLTableSectionElement>('detail-compensations');
  private readonly compensationSection = byId<HTMLElement>('detail-compensation-section');
  private readonly body = byId<HTMLElement>('detail-body');
  private readonly anchors: Record<LinkName, HTMLAnchorElement> = {
    trace: byId('link-trace'),
    mail: byId('link-mail'),
    queues: byId('link-queues'),
  };

  constructor(private config: LiveConfig) {}

  configure(config: LiveConfig): void {
    this.config = config;
  }

  render(entry: OrderEntry | undefined): void {
    this.body.hidden = entry === undefined;
    this.body.dataset.orderId = entry?.orderId ?? '';
    if (!entry) {
      this.heading.textContent = 'No order selected';
      return;
    }
    const order = entry.order;
    const timeline = sagaTimeline(entry.steps);
    const status = shownStatus(entry, timeline);
    this.heading.textContent = `Order ${entry.orderId.slice(0, 8)}`;
    this.outcome.dataset.status = status;
    this.outcome.textContent =
      status === 'CANCELLED'
        ? `CANCELLED: ${order?.cancellationReason ?? 'no reason given'}`
        : status === 'PENDING'
          ? 'PENDING: the saga is running'
          : status;

    const total = order?.totalCents == null ? '—' : `${(order.totalCents / 100).toFixed(2)} ${order.currency}`;
    this.facts.replaceChildren(
      ...fact('Order id', entry.orderId),
      ...fact('Placed as', entry.placedAs ?? '—'),
      ...fact('Total', total),
      ...fact('Created', order ? new Date(order.createdAt).toLocaleTimeString() : '—'),
      ...fact('Trace id', order?.traceId ?? '—'),
    );

    let anyLink = false;
    for (const name of Object.keys(this.anchors) as LinkName[]) {
      const href = linkFor(this.config.links[name], entry.orderId, order?.traceId ?? null);
      const anchor = this.anchors[name];
      anchor.hidden = href === undefined;
      if (href !== undefined) {
        anchor.href = href;
        anyLink = true;
      } else anchor.removeAttribute('href');
    }
    this.links.hidden = !anyLink;

    // Times are relative to the first command, from the order service's clock.
    const origin = timeline[0]?.sentAt ?? (order ? Date.parse(order.createdAt) : 0);
    const invokes = timeline.filter((t) => t.action === 'invoke');
    const reached = new Set(invokes.map((t) => t.step));
    const finished = status === 'CONFIRMED' || status === 'CANCELLED' || status === 'COMPENSATING';
    this.steps.replaceChildren(
      ...invokes.map((t) => timelineRow(t, origin)),
      // The definition's steps not reached (yet): waiting, or skipped once the saga turned back.
      ...this.config.saga.steps
        .filter((s) => !reached.has(s.name))
        .map((s) =>
          element(
            'tr',
            { class: 'not-reached' },
            element('th', { scope: 'row' }, s.name),
            element('td', { colspan: '5' }, finished ? 'not run' : 'waiting'),
          ),
        ),
    );
    const compensations = timeline.filter((t) => t.action === 'compensate');
    this.compensationSection.hidden = compensations.length === 0;
    this.compensations.replaceChildren(...compensations.map((t) => timelineRow(t, origin)));
  }
}

/** A link template with `{orderId}` and `{traceId}` filled in; undefined when it cannot be. */
export function linkFor(template: string | null, orderId: string, traceId: string | null): string | undefined {
  if (template === null) return undefined;
  if (template.includes('{traceId}') && traceId === null) return undefined;
  return template.replaceAll('{orderId}', encodeURIComponent(orderId)).replaceAll('{traceId}', encodeURIComponent(traceId ?? ''));
}

function fact(term: string, value: string): HTMLElement[] {
  return [element('dt', {}, term), element('dd', {}, value)];
}

function timelineRow(t: TimelineEntry, origin: number): HTMLTableRowElement {
  const at = (ms: number | null) => (ms === null ? '—' : `+${formatDuration(ms - origin)}`);
  const took = durationOf(t);
  const result = t.state === 'sent' ? 'waiting for the answer' : t.detail ? `${t.state}: ${t.detail}` : t.state;
  return element(
    'tr',
    { class: t.state, 'data-step': t.step, 'data-action': t.action },
    element('th', { scope: 'row' }, `${stateMark(t.state)} ${t.step}`),
    element('td', {}, at(t.sentAt)),
    element('td', {}, at(t.answeredAt)),
    element('td', {}, took === null ? '—' : formatDuration(took)),
    element('td', {}, String(t.attempts)),
    element('td', { class: 'result' }, result),
  );
}
