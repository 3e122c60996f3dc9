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

test('when load runs against the stack, then every order is placed, every saga finishes and the figures are written', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'load-'));
  const json = path.join(directory, 'report.json');
  const html = path.join(directory, 'report.html');
  const child = spawn(
    process.execPath,
    [LOAD_MAIN, '--url', shop.orderUrl, '--rate', '20', '--count', '40', '--json', json, '--html', html],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OPERATOR_TOKEN: TEST_OPERATOR_TOKEN },
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
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

test('when load runs without OPERATOR_TOKEN, then it stops before placing any order, saying OPERATOR_TOKEN must be set', async () => {
  const { OPERATOR_TOKEN: _left, ...inherited } = process.env;
  void _left;
  // Not the token a native `npm run stack` of this checkout may have left behind either.
  const env = { ...inherited, STACK_OPERATOR_TOKEN_FILE: path.join(tmpdir(), 'no-such-operator-token') };
  const child = spawn(process.execPath, [LOAD_MAIN, '--url', shop.orderUrl, '--rate', '20', '--count', '5'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 1, output);
  assert.match(output, /^load: GET \/orders .* answered 401: OPERATOR_TOKEN must be set/m);
  assert.doesNotMatch(output, /sent/);
});
