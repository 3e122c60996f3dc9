import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { dropDatabase } from '@shop/db';
import { createTestInfrastructure, eventually, freePortRange, startStack, tail, type RunningStack, type TestInfrastructure } from '@shop/testing';

const LOAD_MAIN = path.resolve(__dirname, '..', 'src', 'main.js');
let infra: TestInfrastructure;
let stack: RunningStack;
let base: number;
let prefix: string;

before(async () => {
  infra = await createTestInfrastructure('load');
  base = await freePortRange(7);
  prefix = `shop_${infra.runId}_`;
  stack = startStack({
    RABBITMQ_URL: infra.rabbitmqUrl,
    STACK_DATABASE_PREFIX: prefix,
    STACK_BASE_PORT: String(base),
    MAIL_CATCHER_SMTP_PORT: String(base + 5),
    MAIL_CATCHER_HTTP_PORT: String(base + 6),
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
  });
  await eventually(() => (/ready in/.test(stack.output()) ? true : undefined), { timeoutMs: 60_000, what: 'the stack' }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${tail(stack.output())}`);
  });
});

after(async () => {
  stack?.child.kill('SIGTERM');
  await stack?.exited;
  for (const service of ['order', 'inventory', 'payment', 'warehouse', 'email']) await dropDatabase(`postgres://postgres@127.0.0.1:5432/${prefix}${service}`).catch(() => undefined);
  await infra?.cleanup();
});

test('when load runs against the stack, then every order is placed, every saga finishes and the figures are written', async () => {
  const json = path.join(mkdtempSync(path.join(tmpdir(), 'load-')), 'report.json');
  const child = spawn(process.execPath, [LOAD_MAIN, '--url', `http://127.0.0.1:${base}`, '--rate', '20', '--count', '40', '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const outcomes = Object.entries(report.sagas.outcomes as Record<string, number>);
  assert.equal(outcomes.reduce((sum, [, n]) => sum + n, 0), 40);
  assert.ok(outcomes.some(([outcome]) => outcome === 'CONFIRMED'));
  assert.ok(report.services.length >= 5, 'CPU and RSS of the five native processes');
  for (const service of report.services) assert.ok(service.peakRssMb > 10, `${service.service} has a peak RSS`);
});
