import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createTestInfrastructure, startTestStack, TEST_OPERATOR_TOKEN, type TestInfrastructure, type TestStack } from '@shop/testing';

const LOAD_MAIN = path.resolve(__dirname, '..', 'src', 'main.js');
let infra: TestInfrastructure;
let shop: TestStack;

before(async () => {
  infra = await createTestInfrastructure('load');
  shop = await startTestStack(infra, { OTEL_SDK_DISABLED: 'true' });
});

after(async () => {
  await shop?.stop();
  await infra?.cleanup();
});

/** Runs `npm run load`'s main with these arguments and the test token; its exit code and all it printed. */
async function runLoad(args: string[], env: NodeJS.ProcessEnv = { ...process.env, OPERATOR_TOKEN: TEST_OPERATOR_TOKEN }) {
  const child = spawn(process.execPath, [LOAD_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}

test('when load runs against the stack, then every order is placed, every saga finishes and the figures are written', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'load-'));
  const json = path.join(directory, 'report.json');
  const html = path.join(directory, 'report.html');
  const { code, output } = await runLoad(['--url', shop.orderUrl, '--rate', '20', '--count', '40', '--json', json, '--html', html]);
  assert.equal(code, 0, output);
  assert.match(output, /POST \/orders +40 sent/);
  assert.match(output, /p99/);

  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.post.latencyMs.count, 40);
  assert.deepEqual(report.post.errors, {});
  assert.equal(report.sagas.endToEndMs.count, 40, 'every saga finished');
  assert.equal(report.sagas.pending, 0);
  assert.equal(report.sagas.dueToFinalMs.count, 40);
  assert.ok(report.sagas.dueToFinalMs.p50 > report.sagas.endToEndMs.p50, 'from due adds the POST latency to accepted-to-final');
  const outcomes = Object.entries(report.sagas.outcomes as Record<string, number>);
  assert.equal(
    outcomes.reduce((sum, [, n]) => sum + n, 0),
    40,
  );
  assert.ok(outcomes.some(([outcome]) => outcome === 'CONFIRMED'));
  assert.ok(report.services.length >= 5, 'CPU and RSS of the five native processes');
  for (const service of report.services) assert.ok(service.peakRssMb > 10, `${service.service} has a peak RSS`);
  const summedRss = report.services.reduce((sum: number, service: { peakRssMb: number }) => sum + service.peakRssMb, 0);
  assert.ok(
    report.memory.peakPrivateMb > 0 && report.memory.peakFootprintMb > report.memory.peakPrivateMb,
    'private pages, then shared ones added once',
  );
  const counted = (buckets: Array<{ count: number }>) => buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  assert.equal(counted(report.post.latencyHistogram), 40, 'every POST in the latency histogram');
  assert.equal(counted(report.sagas.endToEndHistogram), 40, 'every finished saga in the saga histogram');
  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.equal(page.match(/<svg /g)?.length, 2, 'two histograms');
  assert.match(page, /POST \/orders latency, from when each order was due \(40 requests\)/);
  assert.match(page, /accepted to CONFIRMED or CANCELLED \(40 sagas\)/);
  assert.ok(
    report.memory.peakFootprintMb < summedRss,
    `shared pages counted once (${report.memory.peakFootprintMb} MB) come to less than summed RSS (${summedRss} MB)`,
  );
});

test('when a spike runs against the stack, then it reports each phase, the checks and the run second by second, with the queue depths, as text and charts', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'load-spike-'));
  const json = path.join(directory, 'report.json');
  const html = path.join(directory, 'report.html');
  const args = ['--url', shop.orderUrl, '--spike', '--rate', '20', '--before', '3', '--spike-seconds', '3', '--after', '3'];
  const { code, output } = await runLoad([...args, '--json', json, '--html', html]);
  assert.equal(code, 0, output);
  assert.match(
    output,
    /^spike +--rate 20\/s taken as sustainable: offered 10\.0\/s for 3 s \(before\), then 40\.0\/s for 3 s \(spike\), then 10\.0\/s for 3 s \(after\)$/m,
  );
  assert.match(output, /^ {4}sagas in flight +[▁▂▃▄▅▆▇█ ]+ {2}max \d+$/m);

  const { spike, post, sagas } = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    spike.phases.map((p: { name: string; sent: number; errors: number }) => [p.name, p.sent, p.errors]),
    [
      ['before', 30, 0],
      ['spike', 120, 0],
      ['after', 30, 0],
    ],
  );
  assert.equal(post.latencyMs.count, 180);
  assert.equal(sagas.pending, 0);
  const passed = Object.fromEntries(spike.checks.map((c: { name: string; pass: boolean }) => [c.name, c.pass]));
  assert.equal(passed['every request answered 202'], true);
  assert.equal(passed['every order finished'], true);
  const timeline: Array<{ offered: number; finished: number; queued: number | null }> = spike.timeline;
  assert.deepEqual(
    timeline.slice(0, 9).map((s) => s.offered),
    [10, 10, 10, 40, 40, 40, 10, 10, 10],
  );
  assert.equal(
    timeline.reduce((sum, s) => sum + s.finished, 0),
    180,
    'every saga finished within the timeline',
  );
  assert.ok(
    timeline.some((s) => s.queued !== null),
    `the queue depths were read from the order service's stream: ${spike.queueProblem ?? ''}`,
  );
  const page = readFileSync(html, 'utf8');
  assert.equal(page.match(/<svg /g)?.length, 4, 'two histograms and the two spike charts');
  assert.match(page, /The queue absorbing the spike/);
});

test('when load runs without OPERATOR_TOKEN, then it stops before placing any order, saying OPERATOR_TOKEN must be set', async () => {
  const { OPERATOR_TOKEN: _left, ...inherited } = process.env;
  void _left;
  // Not the token a native `npm run stack` of this checkout may have left behind either.
  const env = { ...inherited, STACK_OPERATOR_TOKEN_FILE: path.join(tmpdir(), 'no-such-operator-token') };
  const { code, output } = await runLoad(['--url', shop.orderUrl, '--rate', '20', '--count', '5'], env);
  assert.equal(code, 1, output);
  assert.match(output, /^load: GET \/orders .* answered 401: OPERATOR_TOKEN must be set/m);
  assert.doesNotMatch(output, /sent/);
});
