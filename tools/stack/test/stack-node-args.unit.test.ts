import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_NODE_ARGS, serviceNodeCommand } from '@shop/catalog';
import { ConfigError } from '@shop/config';
import { loadStackSettings } from '../src/stack-settings';

describe('STACK_NODE_ARGS', () => {
  it('is empty unless set, so the services run with the catalog arguments alone', () => {
    assert.deepEqual(loadStackSettings({}).nodeArgs, []);
    assert.deepEqual(serviceNodeCommand('order'), [...SERVICE_NODE_ARGS, 'services/order/dist/src/main.js']);
  });

  it('adds its arguments after the catalog ones, where a later flag overrides an earlier one', () => {
    const { nodeArgs } = loadStackSettings({ STACK_NODE_ARGS: '  --no-maglev   --max-old-space-size=256 ' });
    assert.deepEqual(nodeArgs, ['--no-maglev', '--max-old-space-size=256']);
    assert.deepEqual(serviceNodeCommand('payment', nodeArgs), [
      ...SERVICE_NODE_ARGS,
      '--no-maglev',
      '--max-old-space-size=256',
      'services/payment/dist/src/main.js',
    ]);
  });

  it('refuses anything that is not an option, naming the setting', () => {
    for (const value of ['no-maglev', '--no-maglev services/x.js', '--a=1 ; rm']) {
      assert.throws(
        () => loadStackSettings({ STACK_NODE_ARGS: value }),
        (error: unknown) => error instanceof ConfigError && /STACK_NODE_ARGS/.test(error.message) && /--no-maglev/.test(error.message),
        value,
      );
    }
  });
});
