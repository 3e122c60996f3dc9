import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { baseServiceSchema, ConfigError, loadConfig, url } from '../src/index';

const schema = baseServiceSchema({ port: 3000, database: 'shop_order' });

describe('loadConfig', () => {
  test('when nothing is set, then every setting takes its default', () => {
    const config = loadConfig(schema, {});
    assert.equal(config.PORT, 3000);
    assert.equal(config.RABBITMQ_URL, 'amqp://guest:guest@127.0.0.1:5672');
    assert.equal(config.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/shop_order');
    assert.deepEqual(config.RETRY_DELAYS_MS, [1000, 5000, 30000, 120000]);
  });

  test('when the broker URL is not an AMQP URL, then the error names the setting, what it expected and what it got', () => {
    assert.throws(
      () => loadConfig(schema, { RABBITMQ_URL: 'localhost:5672' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'invalid setting RABBITMQ_URL: expected a URL starting with amqp:// or amqps:// (got "localhost:5672")',
    );
  });

  test('when a required URL setting is not set, then the error names it and says what it expects', () => {
    const required = baseServiceSchema({ port: 3000, database: 'shop_order' }).extend({ PAYMENT_PROVIDER_URL: url(['http', 'https']) });
    assert.throws(
      () => loadConfig(required, {}),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'invalid setting PAYMENT_PROVIDER_URL: expected a URL starting with http:// or https:// (it is not set)',
    );
  });

  test('when a URL carries a password, then the error does not show it', () => {
    assert.throws(
      () => loadConfig(schema, { DATABASE_URL: 'mysql://app:s3cret@db/shop' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.doesNotMatch(error.message, /s3cret/);
        assert.match(error.message, /^invalid setting DATABASE_URL: expected a URL starting with postgres:\/\/ or postgresql:\/\//);
        return true;
      },
    );
  });

  test('when OPERATOR_TOKEN is not set, then the operator endpoints have no token', () => {
    assert.equal(loadConfig(schema, {}).OPERATOR_TOKEN, undefined);
    assert.equal(loadConfig(schema, { OPERATOR_TOKEN: ' ' }).OPERATOR_TOKEN, undefined);
    assert.equal(loadConfig(schema, { OPERATOR_TOKEN: 'a-token-of-16-ch' }).OPERATOR_TOKEN, 'a-token-of-16-ch');
  });

  test('when OPERATOR_TOKEN is shorter than 16 characters, then the error names it and gives its length, not its value', () => {
    assert.throws(
      () => loadConfig(schema, { OPERATOR_TOKEN: 'hunter2-secret' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'invalid setting OPERATOR_TOKEN: expected at least 16 characters (got 14 characters, not shown)',
    );
  });

  test('when several settings are wrong, then each is named', () => {
    assert.throws(
      () => loadConfig(schema, { PORT: 'eighty', RETRY_DELAYS_MS: '1s,2s' }),
      /invalid setting PORT: expected a TCP port number.*; invalid setting RETRY_DELAYS_MS: expected comma-separated milliseconds/,
    );
  });

  test('when a service starts with a bad setting, then it prints one line naming it and exits non-zero', () => {
    const script = `require(${JSON.stringify(require.resolve('../src/index'))}).loadConfigOrExit('order', require(${JSON.stringify(require.resolve('../src/index'))}).baseServiceSchema({ port: 3000, database: 'shop_order' })); console.log('started')`;
    const result = spawnSync(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, RABBITMQ_URL: 'http://broker' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 78);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'order: invalid setting RABBITMQ_URL: expected a URL starting with amqp:// or amqps:// (got "http://broker/")\n',
    );
  });
});
