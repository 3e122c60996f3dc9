/**
 * Where a placement waits, measured inside the order service. Loaded into every process of a
 * stack with `NODE_OPTIONS="--require <repo>/tools/bench/dist/src/placement-probe.js"`, it acts in
 * the order service alone and writes a line every 5 s to PLACEMENT_PROBE_FILE (standard error
 * when unset) with, over those 5 s:
 * - `server`: `POST /orders` from the request reaching Express's server to the response's end;
 * - `transaction`: the transaction that stored the order, from its BEGIN to its COMMIT, or its one
 *   statement when it had no BEGIN (decision 0023); the group commit's queue is what `server` has
 *   on top of it, with the request's parsing and validation;
 * - `loop delay`: how late the event loop's 10 ms timer fired (Node's histogram less the period):
 *   the time the process was busy or waiting for a core.
 * It wraps pg's `Client.prototype.query` and the HTTP server's `emit`, which costs a few
 * microseconds a statement: a tool for a measurement, not for a running shop.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentiles } from '@shop/load/dist/src/latency-stats';
import pg from 'pg';

const REPORT_EVERY_MS = 5_000;
const LOOP_PERIOD_MS = 10;
/** The statement that stores orders: the staged rows' one statement, or the insert of an order with a key. */
const STORES_ORDERS = /\bINTO orders\b/;

if (process.argv.some((arg) => arg.includes('services/order/'))) probe();

function probe(): void {
  const server: number[] = [];
  const transaction: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: LOOP_PERIOD_MS });
  loop.enable();

  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      const [request, response] = args as [http.IncomingMessage, http.ServerResponse];
      if (request.method === 'POST' && request.url?.startsWith('/orders')) {
        const at = performance.now();
        response.once('finish', () => server.push(performance.now() - at));
      }
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof emit;

  // A connection's open transaction: when its BEGIN was sent, and whether it stored orders.
  const open = new WeakMap<object, { at: number; storesOrders: boolean }>();
  const settled = (result: Promise<unknown>, since: number) =>
    result.then(
      () => transaction.push(performance.now() - since),
      () => undefined,
    );
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const at = performance.now();
    const result = query.apply(this, args);
    if (!(result instanceof Promise)) return result;
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: unknown } | undefined)?.text ?? '');
    if (text === 'BEGIN') open.set(this, { at, storesOrders: false });
    else if (text === 'COMMIT' || text === 'ROLLBACK') {
      const begun = open.get(this);
      open.delete(this);
      if (begun?.storesOrders && text === 'COMMIT') void settled(result, begun.at);
    } else if (typeof text === 'string' && STORES_ORDERS.test(text)) {
      const begun = open.get(this);
      if (begun) begun.storesOrders = true;
      else void settled(result, at);
    }
    return result;
  };

  setInterval(() => {
    const line = [
      `server ${summary(server)}`,
      `transaction ${summary(transaction)}`,
      `loop delay p99 ${ms(loop.percentile(99) / 1e6 - LOOP_PERIOD_MS)} max ${ms(loop.max / 1e6 - LOOP_PERIOD_MS)}`,
    ].join(' | ');
    server.length = 0;
    transaction.length = 0;
    loop.reset();
    const file = process.env.PLACEMENT_PROBE_FILE;
    if (file) appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
    else process.stderr.write(`placement probe: ${line}\n`);
  }, REPORT_EVERY_MS).unref();
}

function summary(values: number[]): string {
  const { count, p50, p99, max } = percentiles(values);
  return count === 0 ? 'n 0' : `n ${count} p50 ${ms(p50)} p99 ${ms(p99)} max ${ms(max)}`;
}

function ms(value: number): string {
  return `${Math.max(0, value).toFixed(1)} ms`;
}
