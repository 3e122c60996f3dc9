import { spawn } from 'node:child_process';
import path from 'node:path';
import { orderFor } from '@shop/load/dist/src/order-scenarios';
import type { Check } from './bench-check';
import { latencyAtRate, type RateLatency } from './latency-at-rate';
import { median } from './setting-rounds';

/**
 * Issue 20's first target: `POST /orders` at half the sustainable rate against an Express
 * hello-world at the same rate, and against itself with the participants stopped. A p99 of a 10 s
 * step is its 15th-worst request or so, and one hiccup of the machine moves it: the hello-world's
 * alone gave 6.5 ms in one bench run and 16.0 ms in the next. So both are measured in several
 * rounds, alternating, and the checks take the medians. The shop with the participants stopped is
 * measured once: stopped for longer than the saga's step timeout (10 s), its sagas' deadlines
 * fire and the order service does more than place orders.
 */
export interface PostLatency {
  rate: number;
  helloWorld: RateLatency[];
  running: RateLatency[];
  stopped: RateLatency[];
}

export const POST_STEP_SECONDS = 10;

/** One step: orders POSTed to `url` at `rate` for POST_STEP_SECONDS, the same for the shop and the hello-world. */
export const postLatencyAt = (url: string, rate: number): Promise<RateLatency> =>
  latencyAtRate(url, () => orderFor('confirm'), rate, POST_STEP_SECONDS);

/** An Express 5 hello-world POST in a process of its own, sent the same orders by the same generator. */
export async function expressHelloLatency(rate: number): Promise<RateLatency> {
  const server = spawn(process.execPath, [path.join(__dirname, 'express-hello-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => server.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  try {
    return await postLatencyAt(`http://127.0.0.1:${port}/hello`, rate);
  } finally {
    server.kill('SIGTERM');
  }
}

/** The median p50 and p99 of a setting's rounds, and the range of the p99s. */
export function medianLatency(rounds: readonly RateLatency[]): { p50: number; p99: number; p99Range: [number, number] } {
  const p99s = rounds.map((r) => r.p99);
  return { p50: median(rounds.map((r) => r.p50)), p99: median(p99s), p99Range: [Math.min(...p99s), Math.max(...p99s)] };
}

/** "36.6 ms (30.1-41.0)": a setting's median p99 and its range over the rounds. */
function describeP99(rounds: readonly RateLatency[]): string {
  const { p99, p99Range } = medianLatency(rounds);
  return `${p99.toFixed(1)} ms (${p99Range[0].toFixed(1)}-${p99Range[1].toFixed(1)})`;
}

export function postChecks(post: PostLatency): Check[] {
  const hello = medianLatency(post.helloWorld);
  const running = medianLatency(post.running);
  const stopped = medianLatency(post.stopped);
  const rounds = `medians of ${post.running.length} rounds`;
  return [
    {
      what: `POST /orders p99 at ${post.rate}/s vs hello-world`,
      measured: `${describeP99(post.running)} vs ${describeP99(post.helloWorld)} = ${(running.p99 / hello.p99).toFixed(2)} x (p50 ${running.p50.toFixed(1)} vs ${hello.p50.toFixed(1)} ms; ${rounds})`,
      target: '<= 5 x',
      ok: running.p99 <= 5 * hello.p99,
    },
    {
      what: `POST /orders p99 at ${post.rate}/s, sagas running vs participants stopped`,
      measured: `${describeP99(post.running)} vs ${describeP99(post.stopped)} = ${(running.p99 / stopped.p99).toFixed(2)} x (p50 ${running.p50.toFixed(1)} vs ${stopped.p50.toFixed(1)} ms; ${rounds})`,
      target: '<= 2 x',
      ok: running.p99 <= 2 * stopped.p99,
    },
  ];
}
