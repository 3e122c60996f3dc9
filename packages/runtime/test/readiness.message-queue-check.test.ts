import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { baseServiceSchema, loadConfig } from '@shop/config';
import { createTestInfrastructure, eventually, serviceTestEnv, type TestInfrastructure } from '@shop/testing';
import { startService, type RunningService } from '../src/index';

describe('a running service', () => {
  let infra: TestInfrastructure;
  let service: RunningService;

  before(async () => {
    infra = await createTestInfrastructure('runtime');
    service = await startService({
      name: 'probe',
      config: loadConfig(baseServiceSchema({ port: 0, database: 'shop_probe' }), await serviceTestEnv(infra, 'probe')),
      migrations: [],
      setup: () => ({}),
    });
    await service.broker.waitUntilConnected(10_000);
  });
  after(async () => {
    await service?.stop();
    await infra?.cleanup();
  });

  test('when the broker and database are usable, then /healthz and /readyz answer 200', async () => {
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    const ready = await fetch(`${service.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { rabbitmq: true, postgres: true } });
  });

  test('when the broker connection is gone, then /readyz answers 503 naming rabbitmq while /healthz stays 200', async () => {
    await infra.deleteVhost(); // the broker closes our connection and refuses new ones
    const body = await eventually(
      async () => {
        const response = await fetch(`${service.url}/readyz`);
        return response.status === 503 ? ((await response.json()) as { checks: Record<string, boolean> }) : undefined;
      },
      { what: '/readyz to turn 503' },
    );
    assert.deepEqual(body.checks, { rabbitmq: false, postgres: true });
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
  });

  test('when an unknown route is asked for, then it answers a JSON 404', async () => {
    const response = await fetch(`${service.url}/nope`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: { code: 'not_found', message: 'no route for GET /nope' } });
  });
});
