import type { OrderEntry } from '../model/order-book.js';
import { durationOf, formatDuration, sagaTimeline } from '../model/saga-timeline.js';
import { element } from './element.js';
import { shortStepName, shownStatus, stateMark } from './order-status.js';

interface Row {
  item: HTMLLIElement;
  button: HTMLButtonElement;
  status: HTMLElement;
  placedAs: HTMLElement;
  trail: HTMLElement;
  elapsed: HTMLElement;
}

/**
 * The order list, newest on top: one row per order, keyed by id, created once and then only
 * patched, so an event touching one order writes one row however long the list is. Each row is a
 * button; one of them is in the tab order (roving tabindex), and the arrow keys, Home, End,
 * PageUp and PageDown move between them and select as they go.
 */
export class OrderListView {
  private readonly rows = new Map<string, Row>();
  private selectedId: string | undefined;
  private tabStop: HTMLButtonElement | undefined;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly onSelect: (orderId: string) => void,
  ) {
    list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-order-id]');
      if (button?.dataset.orderId) this.onSelect(button.dataset.orderId);
    });
    list.addEventListener('keydown', (event) => this.keydown(event));
  }

  get size(): number {
    return this.rows.size;
  }

  /** New orders, oldest first: they go on top, the newest first. */
  add(entries: readonly OrderEntry[]): void {
    if (entries.length === 0) return;
    const fragment = document.createDocumentFragment();
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const entry = entries[i]!;
      if (this.rows.has(entry.orderId)) continue;
      const row = this.createRow(entry.orderId);
      this.rows.set(entry.orderId, row);
      this.patch(row, entry);
      fragment.append(row.item);
    }
    this.list.prepend(fragment);
  }

  update(entry: OrderEntry): void {
    const row = this.rows.get(entry.orderId);
    if (row) this.patch(row, entry);
  }

  remove(orderId: string): void {
    this.rows.get(orderId)?.item.remove();
    this.rows.delete(orderId);
    if (this.selectedId === orderId) this.selectedId = undefined;
  }

  select(orderId: string | undefined): void {
    if (this.selectedId) this.rows.get(this.selectedId)?.button.setAttribute('aria-current', 'false');
    this.selectedId = orderId;
    if (orderId) this.rows.get(orderId)?.button.setAttribute('aria-current', 'true');
    this.placeTabStop();
  }

  /** Keeps exactly one row in the tab order: the selected one, else the newest. */
  placeTabStop(): void {
    const target = (this.selectedId ? this.rows.get(this.selectedId)?.button : undefined) ?? this.firstButton();
    if (target === this.tabStop) return;
    if (this.tabStop) this.tabStop.tabIndex = -1;
    if (target) target.tabIndex = 0;
    this.tabStop = target;
  }

  private firstButton(): HTMLButtonElement | undefined {
    return this.list.firstElementChild?.querySelector('button') ?? undefined;
  }

  private createRow(orderId: string): Row {
    const status = element('span', { class: 'status' });
    const placedAs = element('span', { class: 'placed-as' });
    const trail = element('span', { class: 'trail' });
    const elapsed = element('span', { class: 'elapsed' });
    const button = element(
      'button',
      {
        type: 'button',
        class: 'order-button',
        'data-order-id': orderId,
        'aria-current': String(orderId === this.selectedId),
        tabindex: '-1',
      },
      status,
      element('span', { class: 'order-id' }, orderId.slice(0, 8)),
      placedAs,
      trail,
      elapsed,
    );
    return { item: element('li', { class: 'order-row' }, button), button, status, placedAs, trail, elapsed };
  }

  private patch(row: Row, entry: OrderEntry): void {
    const timeline = sagaTimeline(entry.steps);
    const status = shownStatus(entry, timeline);
    if (row.status.textContent !== status) {
      row.status.textContent = status;
      row.item.dataset.status = status;
    }
    row.placedAs.textContent = entry.placedAs ?? '';
    // The trail: each command as it ran, ↩ marking a compensation; tooltips name the step in full.
    row.trail.replaceChildren(
      ...timeline.map((t) =>
        element(
          'span',
          { class: `chip ${t.action} ${t.state}`, title: `${t.action} ${t.step}: ${t.state}` },
          `${t.action === 'compensate' ? '↩' : ''}${shortStepName(t.step)} ${stateMark(t.state)}`,
        ),
      ),
    );
    const first = timeline[0]?.sentAt ?? null;
    const last = timeline.at(-1);
    const end = last?.answeredAt ?? null;
    row.elapsed.textContent =
      status === 'CONFIRMED' || status === 'CANCELLED' ? (first !== null && end !== null ? formatDuration(end - first) : '') : '';
    const took = last ? durationOf(last) : null;
    row.button.title = `order ${entry.orderId}${took === null ? '' : `, last step ${formatDuration(took)}`}`;
  }

  private keydown(event: KeyboardEvent): void {
    const current = (event.target as Element).closest('li');
    if (!current) return;
    const step = (from: Element | null, next: (e: Element) => Element | null, times: number) => {
      let at = from;
      for (let i = 0; i < times && at && next(at); i += 1) at = next(at);
      return at;
    };
    let target: Element | null;
    switch (event.key) {
      case 'ArrowDown':
        target = current.nextElementSibling;
        break;
      case 'ArrowUp':
        target = current.previousElementSibling;
        break;
      case 'PageDown':
        target = step(current, (e) => e.nextElementSibling, 10);
        break;
      case 'PageUp':
        target = step(current, (e) => e.previousElementSibling, 10);
        break;
      case 'Home':
        target = this.list.firstElementChild;
        break;
      case 'End':
        target = this.list.lastElementChild;
        break;
      default:
        return;
    }
    event.preventDefault();
    const button = target?.querySelector<HTMLButtonElement>('button[data-order-id]');
    if (!button?.dataset.orderId) return;
    this.onSelect(button.dataset.orderId);
    button.focus();
  }
}
