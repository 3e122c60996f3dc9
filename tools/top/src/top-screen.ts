import type { PrometheusAlert, Sample } from './prometheus-client';
import type { TopData } from './top-data';

export interface ScreenOptions {
  /** Columns of the terminal: longer lines are cut there. */
  width: number;
  /** ANSI colours (a terminal without NO_COLOR); off by default. */
  color?: boolean;
  /** Refreshing every second on a terminal: the header says how to quit. */
  live?: boolean;
}

/**
 * The screen for one reading, as text with a line per row and no trailing newline. A counter with
 * no series yet counts as 0; a gauge or a quantile with nothing to compute from shows `-`.
 */
export function renderTopScreen(data: TopData, options: ScreenOptions): string {
  const paint = painter(options.color === true);
  const lines = [header(data, options, paint), ''];
  if (data.unreachable !== undefined) {
    const advice =
      `Prometheus at ${data.prometheusUrl} is not answering: start \`npm run stack\` (it starts Prometheus when ` +
      "Debian's prometheus package is installed) or `docker compose up`.";
    lines.push(...wrap(advice, options.width).map((line) => paint.red(line)));
    lines.push(...wrap(`(${data.unreachable}${options.live ? '; trying again every second' : ''})`, options.width));
  } else {
    lines.push(...alertLines(data, paint), '');
    lines.push(ordersLine(data), '');
    lines.push(...queueLines(data, options.width, paint), '');
    lines.push(...sagaLines(data, paint), '');
    lines.push(...serviceLines(data, paint));
    if (data.problems.length > 0) lines.push('', ...data.problems.map((problem) => paint.yellow(`! ${problem}`)));
  }
  return lines.map((line) => fit(line, options.width)).join('\n');
}

function header(data: TopData, options: ScreenOptions, paint: Painter): string {
  const time = data.takenAt.toTimeString().slice(0, 8);
  const vhosts = labelValues(data.results.vhosts, 'vhost');
  const scope =
    data.vhost !== undefined ? `vhost ${data.vhost}` : `all vhosts${vhosts.length > 0 ? ` (${vhosts.length}: ${vhosts.join(', ')})` : ''}`;
  const quit = options.live ? '  Ctrl-C quits' : '';
  return `${paint.bold('shop top')}  ${time}${quit}  Prometheus ${data.prometheusUrl}  RabbitMQ ${scope}`;
}

function alertLines(data: TopData, paint: Painter): string[] {
  if (data.alerts === undefined) return [`${paint.bold('ALERTS')}  could not be read`];
  if (data.alerts.length === 0) return [`${paint.bold('ALERTS')}  none firing or pending`];
  const order = (alert: PrometheusAlert) => (alert.state === 'firing' ? 0 : 1);
  const alerts = [...data.alerts].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  const nameWidth = Math.max(...alerts.map((alert) => alert.name.length));
  const severityWidth = Math.max(...alerts.map((alert) => alert.labels.severity?.length ?? 0));
  return [
    paint.bold('ALERTS'),
    ...alerts.map((alert) => {
      const state = alert.state === 'firing' ? paint.red('FIRING ') : paint.yellow('PENDING');
      const severity = severityWidth > 0 ? `${(alert.labels.severity ?? '').padEnd(severityWidth)}  ` : '';
      const summary = alert.annotations.summary ?? alert.annotations.description ?? '';
      const since = alert.activeAt ? `  for ${elapsed(Date.parse(alert.activeAt), data.takenAt.getTime())}` : '';
      return `  ${state}  ${alert.name.padEnd(nameWidth)}  ${severity}${summary}${since}`;
    }),
  ];
}

function ordersLine(data: TopData): string {
  const rate = total(data.results.ordersRate);
  const p99 = total(data.results.ordersP99);
  const share = total(data.results.orders5xxShare);
  const errors = share === undefined || Number.isNaN(share) ? '-' : `${(share * 100).toFixed(1)}%`;
  return `POST /orders  ${perSecond(rate ?? 0)} req/s   p99 ${seconds(p99)}   5xx ${errors}`;
}

const isRetryQueue = (queue: string) => queue.includes('.retry.');
const isDeadLetterQueue = (queue: string) => queue.endsWith('.dead-letter');
/** Server-named queues (`amq.gen-...`) are no one's work queue. */
const isWorkQueue = (queue: string) => !isRetryQueue(queue) && !isDeadLetterQueue(queue) && !queue.startsWith('amq.');

const QUEUE_COLUMNS = [
  ['READY', 8],
  ['UNACKED', 8],
  ['CONSUMERS', 10],
  ['CONSUMED/s', 11],
  ['PROCESS P99', 12],
  ['RETRIES/s', 10],
  ['IN RETRY', 9],
  ['DEAD', 7],
] as const;

function queueLines(data: TopData, width: number, paint: Painter): string[] {
  const ready = byLabel(data.results.queueReady, 'queue');
  const unacked = byLabel(data.results.queueUnacked, 'queue');
  const consumers = byLabel(data.results.queueConsumers, 'queue');
  const consumed = byLabel(data.results.consumedRate, 'messaging_destination_name');
  const p99 = byLabel(data.results.processP99, 'messaging_destination_name');
  const retries = byLabel(data.results.retryRate, 'messaging_destination_name');

  const brokerQueues = new Set([...ready.keys(), ...unacked.keys(), ...consumers.keys()]);
  // The services' metrics carry no vhost: with TOP_VHOST set, the rows are that vhost's queues.
  const named = data.vhost === undefined ? [...consumed.keys(), ...p99.keys(), ...retries.keys()] : [];
  const queues = [...new Set([...brokerQueues, ...named])].filter(isWorkQueue).sort();
  if (queues.length === 0) return [`${paint.bold('QUEUES')}  none reported (no rabbitmq_detailed_queue_* or messaging_* series)`];

  const numbersWidth = QUEUE_COLUMNS.reduce((sum, [, columnWidth]) => sum + columnWidth, 0);
  const nameWidth = Math.max(5, Math.min(Math.max(...queues.map((queue) => queue.length)), width - numbersWidth));
  const held = (queue: string) => (brokerQueues.has(queue) ? (ready.get(queue) ?? 0) + (unacked.get(queue) ?? 0) : undefined);
  const rows = queues.map((queue) => {
    const retryQueues = [...brokerQueues].filter((name) => name.startsWith(`${queue}.retry.`));
    const inRetry = retryQueues.length > 0 ? retryQueues.reduce((sum, name) => sum + (held(name) ?? 0), 0) : undefined;
    const dead = held(`${queue}.dead-letter`);
    const consumerCount = consumers.get(queue);
    const cells = [
      count(ready.get(queue)),
      count(unacked.get(queue)),
      consumerCount === 0 ? paint.red('0') : count(consumerCount),
      perSecond(consumed.get(queue) ?? 0),
      seconds(p99.get(queue)),
      perSecond(retries.get(queue) ?? 0),
      inRetry ? paint.yellow(count(inRetry)) : count(inRetry),
      dead ? paint.red(count(dead)) : count(dead),
    ];
    return clip(queue, nameWidth).padEnd(nameWidth) + cells.map((cell, i) => padStart(cell, QUEUE_COLUMNS[i]![1])).join('');
  });
  const head = 'QUEUE'.padEnd(nameWidth) + QUEUE_COLUMNS.map(([title, columnWidth]) => title.padStart(columnWidth)).join('');
  return [paint.bold(head), ...rows];
}

const SAGA_COLUMNS = [
  ['STARTED', 9],
  ['/s', 7],
  ['COMPLETED', 11],
  ['/s', 7],
  ['COMPENSATED', 13],
  ['/s', 7],
  ['P50', 10],
  ['P99', 10],
] as const;

function sagaLines(data: TopData, paint: Painter): string[] {
  const started = byLabel(data.results.sagaStarted, 'saga_name');
  const startedRate = byLabel(data.results.sagaStartedRate, 'saga_name');
  const finished = data.results.sagaFinished ?? [];
  const finishedRate = data.results.sagaFinishedRate ?? [];
  const p50 = byLabel(data.results.sagaDurationP50, 'saga_name');
  const p99 = byLabel(data.results.sagaDurationP99, 'saga_name');
  const sagas = [...new Set([...started.keys(), ...finished.map((s) => s.labels.saga_name ?? '')])].sort();
  if (sagas.length === 0) return [`${paint.bold('SAGAS')}  none started yet (no shop_saga_* series)`];

  const outcome = (samples: Sample[], saga: string, name: string) =>
    samples.filter((s) => s.labels.saga_name === saga && s.labels.saga_outcome === name).reduce((sum, s) => sum + s.value, 0);
  const nameWidth = Math.max(4, ...sagas.map((saga) => saga.length));
  const head = 'SAGA'.padEnd(nameWidth) + SAGA_COLUMNS.map(([title, columnWidth]) => title.padStart(columnWidth)).join('');
  const lines = [paint.bold(head)];
  for (const saga of sagas) {
    const compensated = outcome(finished, saga, 'compensated');
    const cells = [
      count(started.get(saga) ?? 0),
      perSecond(startedRate.get(saga) ?? 0),
      count(outcome(finished, saga, 'completed')),
      perSecond(outcome(finishedRate, saga, 'completed')),
      compensated > 0 ? paint.yellow(count(compensated)) : count(compensated),
      perSecond(outcome(finishedRate, saga, 'compensated')),
      seconds(p50.get(saga)),
      seconds(p99.get(saga)),
    ];
    lines.push(saga.padEnd(nameWidth) + cells.map((cell, i) => padStart(cell, SAGA_COLUMNS[i]![1])).join(''));
  }
  for (const saga of sagas) {
    const prefix = sagas.length > 1 ? `  ${saga}: ` : '  ';
    const reasons = (data.results.compensatedRecently ?? [])
      .filter((s) => s.labels.saga_name === saga && s.value > 0)
      .sort((a, b) => b.value - a.value);
    const reasonText = reasons.map((s) => `${s.labels.saga_reason ?? '(no reason)'} ${count(s.value)}`).join(', ') || 'none';
    lines.push(`${prefix}compensated in the last 5 min, by reason: ${reasonText}`);
    const deadlines = (action: string, what: string) => {
      const fired = (data.results.deadlines ?? []).find((s) => s.labels.saga_name === saga && s.labels.saga_action === action);
      const rate = (data.results.deadlinesRate ?? []).find((s) => s.labels.saga_name === saga && s.labels.saga_action === action);
      return `${count(fired?.value ?? 0)} ${what} (${perSecond(rate?.value ?? 0)}/s)`;
    };
    lines.push(
      `${prefix}deadlines fired: ${deadlines('invoke', 'steps timed out')}, ${deadlines('compensate', 'compensations sent again')}`,
    );
  }
  return lines;
}

function serviceLines(data: TopData, paint: Painter): string[] {
  const targets = new Map<string, { up: number; all: number }>();
  for (const sample of data.results.targets ?? []) {
    const job = sample.labels.job ?? '(no job)';
    const seen = targets.get(job) ?? { up: 0, all: 0 };
    targets.set(job, { up: seen.up + (sample.value === 1 ? 1 : 0), all: seen.all + 1 });
  }
  const pending = byLabel(data.results.outboxPending, 'job');
  const oldest = byLabel(data.results.outboxOldestAge, 'job');
  const jobs = [...new Set([...targets.keys(), ...pending.keys(), ...oldest.keys()])].sort();
  if (jobs.length === 0) return [`${paint.bold('TARGETS')}  none (Prometheus has no scrape target)`];
  const nameWidth = Math.max(7, ...jobs.map((job) => job.length));
  const lines = [paint.bold(`${'SERVICE'.padEnd(nameWidth)}  TARGETS UP  OUTBOX PENDING  OLDEST PENDING`)];
  for (const job of jobs) {
    const target = targets.get(job);
    const up = target === undefined ? '-' : `${target.up}/${target.all}${target.up < target.all ? ' DOWN' : ''}`;
    const upCell = target !== undefined && target.up < target.all ? paint.red(up.padEnd(10)) : up.padEnd(10);
    lines.push(`${job.padEnd(nameWidth)}  ${upCell}  ${padStart(count(pending.get(job)), 14)}  ${padStart(seconds(oldest.get(job)), 14)}`);
  }
  return lines;
}

/** The samples' values by one label (samples without it are left out). */
function byLabel(samples: Sample[] | undefined, label: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samples ?? []) {
    const key = sample.labels[label];
    if (key !== undefined) values.set(key, (values.get(key) ?? 0) + sample.value);
  }
  return values;
}

function labelValues(samples: Sample[] | undefined, label: string): string[] {
  return [...byLabel(samples, label).keys()].sort();
}

/** The value of a query whose answer is one sample without labels, undefined with none. */
function total(samples: Sample[] | undefined): number | undefined {
  return samples?.[0]?.value;
}

function count(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (Math.abs(value) >= 10_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  return String(Math.round(value));
}

function perSecond(value: number): string {
  if (Number.isNaN(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** A duration in seconds: `-` when there was nothing to compute it from (NaN or no sample). */
function seconds(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (value === Infinity) return '+Inf'; // past the largest bucket boundary
  if (value === 0) return '0 s';
  if (value < 1) return `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)} ms`;
  if (value < 60) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  return `${(value / 60).toFixed(1)} min`;
}

/** "1m 12s", "3h 4m", "45s". */
function elapsed(fromMs: number, toMs: number): string {
  const s = Math.max(0, Math.round((toMs - fromMs) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

interface Painter {
  bold(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

/** Colours as ANSI codes, or the text as it is; padding and cutting count visible characters only. */
function painter(enabled: boolean): Painter {
  const paint = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: paint(1), red: paint(31), yellow: paint(33) };
}

const ESC = '\u001b';
/** An escape sequence (colour, cursor), which takes no column. */
const ANSI_SEQUENCE = `${ESC}\\[[0-9;?]*[A-Za-z]`;
const ANSI = new RegExp(ANSI_SEQUENCE, 'g');
const ANSI_AT_START = new RegExp(`^${ANSI_SEQUENCE}`);

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

function padStart(text: string, columns: number): string {
  return ' '.repeat(Math.max(0, columns - visibleLength(text))) + text;
}

function clip(text: string, columns: number): string {
  return text.length <= columns ? text : `${text.slice(0, Math.max(0, columns - 1))}~`;
}

/** The line cut at `width` visible characters, colour codes kept and reset after the cut. */
function fit(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = '';
  let shown = 0;
  for (let i = 0; i < line.length && shown < width;) {
    const escape = ANSI_AT_START.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
    } else {
      out += line[i];
      i += 1;
      shown += 1;
    }
  }
  return line.includes(ESC) ? `${out}${ESC}[0m` : out;
}

/**
 * Words on lines of at most `width` columns (a longer word gets a line of its own); a command in
 * backquotes stays on one line.
 */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  const words = text.replace(/`[^`]*`/g, (command) => command.replaceAll(' ', '\u00a0')).split(' ');
  for (const word of words.map((w) => w.replaceAll('\u00a0', ' '))) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}
