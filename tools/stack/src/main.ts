import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@shop/config';
import { stackOutput } from './stack-output';
import { runStack } from './stack-runner';
import { loadStackSettings, type StackSettings } from './stack-settings';

// dist/src/main.js -> tools/stack -> the repository root, where the services' paths start.
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

let settings: StackSettings;
try {
  settings = loadStackSettings({ ...process.env, ...argumentSettings(process.argv.slice(2)) });
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof TypeError)) throw error;
  stackOutput.error(error.message);
  process.exit(78); // EX_CONFIG, as the services do
}

/** `--replicas payment=3,order=2` is STACK_REPLICAS; parseArgs throws a TypeError naming anything else. */
function argumentSettings(args: string[]): NodeJS.ProcessEnv {
  const { values } = parseArgs({ args, options: { replicas: { type: 'string' } }, strict: true });
  return values.replicas === undefined ? {} : { STACK_REPLICAS: values.replicas };
}

runStack(settings, repoRoot).then(
  (code) => process.exit(code),
  (error: unknown) => {
    stackOutput.error(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
