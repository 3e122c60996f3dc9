import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getPriority } from 'node:os';
import { PARTICIPANT_NICE, PARTICIPANTS, SERVICE_NAMES } from '@shop/catalog';
import { buildOrder, createTestInfrastructure, eventually, TEST_OPERATOR_TOKEN, type TestInfrastructure } from '@shop/testing';
import { closedPort, freePortRange, startStack, tail, within, type RunningStack } from '@shop/testing';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const POSTGRES_URL = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
// Generous next to the 15 s target: CI runs other suites on the same two cores meanwhile.
const READY_WITHIN_MS = 60_000;
// The services bound their own stop by SHUTDOWN_TIMEOUT_MS (10 s by default).
const STOP_WITHIN_MS = 20_000;

describe('npm run stack', () => {
  describe('when RabbitMQ and PostgreSQL are up', () => {
    let infra: TestInfrastructure;
    const launched: RunningStack[] = [];
    let databasePrefix: string;

    before(async () => {
      infra = await createTestInfrastructure('stack');
      databasePrefix = `shop_${infra.runId}_`;
      // The stack provisions a database and a role of the same name per service; cleanup drops both.
      for (const service of SERVICE_NAMES) {
        infra.databaseUrl(service);
        infra.roleName(service);
      }
    });

    /** This run's vhost and databases; mail catcher ports picked by the kernel. */
    const stackEnv = (): NodeJS.ProcessEnv => ({
      RABBITMQ_URL: infra.rabbitmqUrl,
      POSTGRES_URL,
      STACK_DATABASE_PREFIX: databasePrefix,
      MAIL_CATCHER_SMTP_PORT: '0',
      MAIL_CATCHER_HTTP_PORT: '0',
      PAYMENT_PROVIDER_PORT: '0',
      SMTP_URL: '',
      LOG_LEVEL: 'warn',
    });
    const launch = (env: NodeJS.ProcessEnv, args: string[] = []): RunningStack => {
      const running = startStack({ ...stackEnv(), ...env }, args);
      launched.push(running);
      return running;
    };

    after(async () => {
      // A test that failed half-way may leave its stack running: SIGTERM, so that it stops its
      // services and Prometheus (a SIGKILLed stack leaves them behind), SIGKILL if it hangs.
      for (const running of launched) {
        if (running.child.exitCode !== null || running.child.signalCode !== null) continue;
        running.child.kill('SIGTERM');
        await within(running.exited, STOP_WITHIN_MS, 'the stack stopping').catch(() => running.child.kill('SIGKILL'));
        await running.exited;
      }
      await infra.cleanup();
    });

    it(
      'then every service becomes ready, one summary line names them all, and SIGTERM stops everything with exit code 0',
      { timeout: READY_WITHIN_MS + STOP_WITHIN_MS + 20_000 },
      async (t) => {
        const basePort = await freePortRange(SERVICE_NAMES.length);
        const running = launch({ STACK_BASE_PORT: String(basePort) });
        const explain = () => `stack output:\n${tail(running.output())}`;

        // A stack that exits early fails the test at once rather than after the whole wait.
        const diedEarly = running.exited.then((exit) => {
          throw new Error(`the stack exited with ${JSON.stringify(exit)} before it was ready\n${explain()}`);
        });
        diedEarly.catch(() => undefined);
        const summary = await Promise.race([
          eventually(
            () =>
              running
                .output()
                .split('\n')
                .find((line) => /ready in \d+(\.\d+)? s/.test(line)),
            { timeoutMs: READY_WITHIN_MS, intervalMs: 100, what: 'the summary line' },
          ),
          diedEarly,
        ]).catch((error: unknown) => assert.fail(`${String(error)}\n${explain()}`));
        t.diagnostic(summary.replace(/^.*?ready in/, 'ready in'));

        for (const [index, service] of SERVICE_NAMES.entries()) {
          const url = `http://127.0.0.1:${basePort + index}`;
          assert.ok(summary.includes(`${service} ${url}`), `the summary names ${service} at ${url}: ${summary}`);
          const response = await fetch(`${url}/readyz`);
          assert.equal(response.status, 200, `${service} /readyz: ${await response.text()}`);
        }
        assert.equal(
          running
            .output()
            .split('\n')
            .filter((line) => /ready in \d/.test(line)).length,
          1,
          'one summary line',
        );

        // No OPERATOR_TOKEN given: the stack made one up, shows it and leaves it for the tools.
        const token = /operator endpoints: Authorization: Bearer (\S+)/.exec(summary)?.[1];
        assert.ok(token, `the summary gives the operator token: ${summary}`);
        assert.equal(readFileSync(path.join(REPO_ROOT, '.stack', 'operator-token'), 'utf8').trim(), token);
        const unauthorised = await fetch(`http://127.0.0.1:${basePort + 1}/stock`);
        assert.equal(unauthorised.status, 401, 'the operator endpoints are on, and want the token');
        const stock = await fetch(`http://127.0.0.1:${basePort + 1}/stock`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(stock.status, 200, await stock.text());
        assert.match(summary, new RegExp(`vhost ${infra.vhost}`), 'the summary names the vhost the stack provisioned');

        const messagesUrl = /read (http:\/\/127\.0\.0\.1:\d+\/api\/messages)/.exec(summary)?.[1];
        assert.ok(messagesUrl, `the summary gives the mail catcher's address: ${summary}`);
        const messages = await fetch(messagesUrl);
        assert.equal(messages.status, 200);
        assert.ok(Array.isArray(await messages.json()), 'the mail catcher lists emails as a JSON array');

        // The participants run at a lower CPU priority than the order service, which answers POST /orders.
        const children = readFileSync(`/proc/${running.child.pid}/task/${running.child.pid}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .map(Number);
        const priorities = Object.fromEntries(
          children.flatMap((pid) => {
            const service = /services\/([a-z-]+)\/dist\/src\/main\.js/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1];
            return service ? [[service, getPriority(pid)]] : [];
          }),
        );
        assert.deepEqual(
          priorities,
          Object.fromEntries(SERVICE_NAMES.map((name) => [name, PARTICIPANTS.includes(name) ? PARTICIPANT_NICE : 0])),
        );

        // The live page: named with its token, served by the order service, linking emails to this catcher.
        const orderUrl = `http://127.0.0.1:${basePort + SERVICE_NAMES.indexOf('order')}`;
        assert.ok(summary.includes(`live page ${orderUrl}/live/#token=${token}`), `the summary gives the live page: ${summary}`);
        const page = await fetch(`${orderUrl}/live/`);
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
        const liveConfig = (await (await fetch(`${orderUrl}/live/config.json`)).json()) as { links: { mail: string | null } };
        assert.equal(liveConfig.links.mail, `${messagesUrl}?q={orderId}`);

        running.child.kill('SIGTERM');
        const exit = await within(running.exited, STOP_WITHIN_MS, 'the stack stopping after SIGTERM').catch((error: unknown) =>
          assert.fail(`${String(error)}\n${explain()}`),
        );
        assert.deepEqual(exit, { code: 0, signal: null }, explain());
      },
    );

    it(
      'then, in a vhost that does not exist yet, --replicas runs that many processes of a service, each ready on its own port and named, and an order goes through them',
      { timeout: READY_WITHIN_MS + STOP_WITHIN_MS + 40_000 },
      async () => {
        // No vhost yet, as on a fresh broker: the stack provisions it.
        await infra.deleteVhost();
        const services = SERVICE_NAMES.length;
        const basePort = await freePortRange(2 * services);
        const metricsBasePort = await freePortRange(2 * services);
        const running = launch(
          {
            STACK_BASE_PORT: String(basePort),
            STACK_METRICS_BASE_PORT: String(metricsBasePort),
            STACK_PROMETHEUS: 'off',
            STACK_POSTGRES_EXPORTER: 'off',
            OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
          },
          ['--replicas', 'payment=2,email=2'],
        );
        const summary = await eventually(
          () =>
            running
              .output()
              .split('\n')
              .find((line) => /ready in \d/.test(line)),
          { timeoutMs: READY_WITHIN_MS, what: 'the summary line' },
        ).catch((error: unknown) => assert.fail(`${String(error)}\n${tail(running.output())}`));
        // Replica 2 of the service at catalog index i listens on base + services + i.
        for (const name of ['payment', 'email'] as const) {
          const port = basePort + services + SERVICE_NAMES.indexOf(name);
          assert.ok(summary.includes(`${name}-2 http://127.0.0.1:${port}`), summary);
          assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, `${name}-2 is ready`);
          const metrics = await fetch(`http://127.0.0.1:${metricsBasePort + services + SERVICE_NAMES.indexOf(name)}/metrics`);
          assert.match(await metrics.text(), new RegExp(`service_instance_id="${name}-2"`), `${name}-2 serves its metrics as itself`);
        }
        assert.ok(!/order-2|inventory-2|warehouse-2/.test(summary), 'one process of the others');

        const placed = await fetch(`http://127.0.0.1:${basePort}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(buildOrder()),
        });
        assert.equal(placed.status, 202);
        const { orderId } = (await placed.json()) as { orderId: string };
        const order = await eventually(
          async () => {
            const view = (await (await fetch(`http://127.0.0.1:${basePort}/orders/${orderId}`)).json()) as { status: string };
            return view.status === 'PENDING' ? undefined : view;
          },
          { timeoutMs: 30_000, what: 'the order to settle' },
        );
        assert.equal(order.status, 'CONFIRMED');

        running.child.kill('SIGTERM');
        const exit = await within(running.exited, STOP_WITHIN_MS, 'the stack stopping');
        assert.deepEqual(exit, { code: 0, signal: null }, tail(running.output()));
        await infra.restoreVhost(); // for the next tests, and for cleanup to delete
      },
    );

    it(
      'then a stack not ready within STACK_READY_TIMEOUT_MS names the services that are not ready, stops them and exits non-zero',
      { timeout: STOP_WITHIN_MS + 20_000 },
      async () => {
        const running = launch({ STACK_BASE_PORT: String(await freePortRange(SERVICE_NAMES.length)), STACK_READY_TIMEOUT_MS: '200' });
        const exit = await within(running.exited, STOP_WITHIN_MS + 5_000, 'the stack giving up').catch((error: unknown) =>
          assert.fail(`${String(error)}\n${tail(running.output())}`),
        );
        assert.deepEqual(exit, { code: 1, signal: null }, tail(running.output()));
        assert.match(running.stderr(), /not ready after 0\.2 s: .*order \(/);
      },
    );

    it(
      'then a service that exits by itself is reported with its exit code and the stack exits non-zero',
      { timeout: STOP_WITHIN_MS + 20_000 },
      async () => {
        // An invalid setting every service validates at start-up: each exits with 78 (EX_CONFIG).
        const running = launch({ STACK_BASE_PORT: String(await freePortRange(SERVICE_NAMES.length)), RETRY_DELAYS_MS: 'soon' });
        const exit = await within(running.exited, STOP_WITHIN_MS + 5_000, 'the stack stopping').catch((error: unknown) =>
          assert.fail(`${String(error)}\n${tail(running.output())}`),
        );
        assert.deepEqual(exit, { code: 1, signal: null }, tail(running.output()));
        assert.match(
          running.stderr(),
          /the (order|inventory|payment|warehouse|email) service exited with code 78 unexpectedly; stopping the stack/,
        );
      },
    );
  });

  describe('when RABBITMQ_URL points at a port nothing listens on', () => {
    it('then the stack exits non-zero with one line that names that URL', { timeout: 30_000 }, async () => {
      const port = await closedPort();
      const running = startStack({
        RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}`,
        POSTGRES_URL,
        STACK_BASE_PORT: String(await freePortRange(5)),
      });
      const exit = await within(running.exited, 20_000, 'the stack giving up');
      assert.notEqual(exit.code, 0);
      assert.equal(exit.signal, null);
      const lines = running
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      assert.equal(lines.length, 1, `exactly one line, got:\n${running.output()}`);
      // The password is masked in what is printed; the rest of the URL is as given.
      assert.match(lines[0] ?? '', new RegExp(`amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
      assert.match(lines[0] ?? '', /rabbitmq-server -detached|docker compose up/);
    });
  });
});
