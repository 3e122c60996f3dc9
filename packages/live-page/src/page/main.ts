import { OrderBook, type BookChanges } from '../model/order-book.js';
import { confirmedOrder, ORDER_TRIGGERS } from '../model/order-triggers.js';
import type { LiveConfig, LiveQueuesEvent, LiveStepsEvent } from '../protocol.js';
import { byId, element } from './element.js';
import { LiveStream, type StreamState } from './live-stream.js';
import { OrderDetailView } from './order-detail-view.js';
import { OrderListView } from './order-list-view.js';
import { placeBurst, placeOrder, type PlaceResult } from './order-placer.js';
import { saveToken, tokenFromLocation } from './operator-token.js';
import { QueuePanel } from './queue-panel.js';

/** Used until config.json answers: no links, the steps known only as they happen. */
const NO_CONFIG: LiveConfig = { saga: { name: 'order', steps: [] }, links: { trace: null, mail: null, queues: null } };
const BURST_CONCURRENCY = 8;
/** Bursts can be large; past this the page says so rather than flood the service. */
const BURST_MAX = 5_000;

const book = new OrderBook(5_000);
const detail = new OrderDetailView(NO_CONFIG);
const queuePanel = new QueuePanel();
const connection = byId<HTMLElement>('connection');
const tokenForm = byId<HTMLFormElement>('token-form');
const tokenInput = byId<HTMLInputElement>('token-input');
const tokenMessage = byId<HTMLElement>('token-message');
const placeStatus = byId<HTMLElement>('place-status');
const announcer = byId<HTMLElement>('announcer');
const orderCount = byId<HTMLElement>('order-count');
let selectedId: string | undefined;

const list = new OrderListView(byId<HTMLOListElement>('order-list'), (orderId) => select(orderId));

// Every change is applied to the book at once but drawn once per animation frame: a burst of
// events becomes one batch of DOM writes, each touching only the rows that changed.
const pending = { added: new Set<string>(), updated: new Set<string>(), evicted: new Set<string>() };
let queuesEvent: LiveQueuesEvent | undefined;
let frame: number | undefined;

function schedule(changes?: BookChanges): void {
  if (changes) {
    for (const id of changes.added) pending.added.add(id);
    for (const id of changes.updated) pending.updated.add(id);
    for (const id of changes.evicted) {
      pending.evicted.add(id);
      pending.added.delete(id);
      pending.updated.delete(id);
    }
    for (const entry of changes.settled) announceSettled(entry.orderId);
  }
  frame ??= requestAnimationFrame(draw);
}

function draw(): void {
  frame = undefined;
  for (const id of pending.evicted) list.remove(id);
  if (selectedId && pending.evicted.has(selectedId)) select(undefined);
  const added = [...pending.added].flatMap((id) => book.get(id) ?? []);
  list.add(added);
  for (const id of pending.updated) {
    const entry = book.get(id);
    if (entry) list.update(entry);
  }
  if (selectedId && (pending.added.has(selectedId) || pending.updated.has(selectedId))) detail.render(book.get(selectedId));
  pending.added.clear();
  pending.updated.clear();
  pending.evicted.clear();
  list.placeTabStop();
  orderCount.textContent = `(${list.size.toLocaleString()})`;
  if (queuesEvent) {
    queuePanel.render(queuesEvent);
    queuesEvent = undefined;
  }
}

function select(orderId: string | undefined): void {
  selectedId = orderId;
  list.select(orderId);
  detail.render(orderId ? book.get(orderId) : undefined);
}

// Status changes are announced for the orders placed one at a time from this page only, so a
// screen reader hears the outcome of what its user did, not every order in the shop.
const announced = new Set<string>();
function announceSettled(orderId: string): void {
  const entry = book.get(orderId);
  if (!entry?.order || !announced.has(orderId)) return;
  announced.delete(orderId);
  const reason = entry.order.cancellationReason ? `: ${entry.order.cancellationReason}` : '';
  announcer.textContent = `Order ${orderId.slice(0, 8)} (${entry.placedAs}) ${entry.order.status.toLowerCase()}${reason}`;
}

// --- placing orders ---

function placed(result: PlaceResult, placedAs: string): void {
  if (!result.ok) return;
  schedule(book.placed(result.orderId, placedAs));
}

const triggerButtons = byId<HTMLElement>('trigger-buttons');
for (const trigger of ORDER_TRIGGERS) {
  const button = element('button', { type: 'button', 'data-trigger': trigger.id, title: trigger.expect }, trigger.label);
  button.addEventListener('click', async () => {
    placeStatus.textContent = `Placing a ${trigger.label.toLowerCase()} order…`;
    const result = await placeOrder(trigger.body());
    placed(result, trigger.id);
    if (result.ok) {
      announced.add(result.orderId);
      placeStatus.textContent = `Placed ${result.orderId.slice(0, 8)} (${trigger.label.toLowerCase()}).`;
      // The order just placed is the one its user wants to watch.
      select(result.orderId);
    } else placeStatus.textContent = result.message;
  });
  triggerButtons.append(button);
}

const burstForm = byId<HTMLFormElement>('burst-form');
const burstSize = byId<HTMLInputElement>('burst-size');
const burstButton = byId<HTMLButtonElement>('burst-button');
burstSize.max = String(BURST_MAX);
burstForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const count = Math.min(BURST_MAX, Math.max(1, Math.floor(burstSize.valueAsNumber || 0)));
  burstButton.disabled = true;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const progress = () => {
    placeStatus.textContent = `Burst: ${ok} of ${count} placed${failed ? `, ${failed} refused (${firstError})` : ''}.`;
  };
  await placeBurst(
    count,
    BURST_CONCURRENCY,
    () => confirmedOrder(),
    (result) => {
      if (result.ok) ok += 1;
      else {
        failed += 1;
        firstError ??= result.message;
      }
      placed(result, 'burst');
      progress();
    },
  );
  progress();
  announcer.textContent = `Burst done: ${ok} of ${count} orders placed.`;
  burstButton.disabled = false;
});

// --- the stream ---

const STATE_TEXT: Record<StreamState['kind'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  retrying: 'Reconnecting',
  refused: 'Token refused',
  off: 'Stream off',
  stopped: 'Not connected',
};

const stream = new LiveStream('events', {
  event(event) {
    if (event.event === 'steps') schedule(book.applySteps(JSON.parse(event.data) as LiveStepsEvent));
    else if (event.event === 'queues') {
      queuesEvent = JSON.parse(event.data) as LiveQueuesEvent;
      schedule();
    }
  },
  state(state) {
    connection.dataset.state = state.kind;
    connection.textContent =
      state.kind === 'retrying' ? `${STATE_TEXT.retrying} in ${Math.ceil(state.inMs / 1000)} s (${state.reason})` : STATE_TEXT[state.kind];
    if (state.kind === 'refused') askForToken(`The order service refused this token (${state.status}). Paste the operator token.`);
    if (state.kind === 'off')
      askForToken(
        'The order service answered 404: its OPERATOR_TOKEN is not set, so the live stream (an operator endpoint) is off. Set it and restart the service.',
      );
    if (state.kind === 'live') tokenForm.hidden = true;
  },
});

function askForToken(message: string): void {
  tokenMessage.textContent = message;
  tokenForm.hidden = false;
}

function connect(token: string | undefined): void {
  if (!token) {
    connection.dataset.state = 'stopped';
    connection.textContent = STATE_TEXT.stopped;
    askForToken('The live stream wants the operator token: the stack prints this page with it on its ready line, or paste it here.');
    return;
  }
  stream.start(token);
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  saveToken(token);
  tokenInput.value = '';
  connect(token);
});
// A URL with a new #token=... pasted into this tab.
window.addEventListener('hashchange', () => {
  if (location.hash.includes('token=')) connect(tokenFromLocation());
});

async function loadConfig(): Promise<void> {
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json answered ${response.status}`);
    detail.configure((await response.json()) as LiveConfig);
    if (selectedId) detail.render(book.get(selectedId));
  } catch (error) {
    placeStatus.textContent = `No links or step list: ${error instanceof Error ? error.message : String(error)}`;
  }
}

select(undefined);
void loadConfig().then(() => connect(tokenFromLocation()));
