import path from 'node:path';
import { ConfigError } from '@shop/config';
import { stackOutput } from './stack-output';
import { runStack } from './stack-runner';
import { loadStackSettings, type StackSettings } from './stack-settings';

// dist/src/main.js -> tools/stack -> the repository root, where the services' paths start.
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

let settings: StackSettings;
try {
  settings = loadStackSettings();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  stackOutput.error(error.message);
  process.exit(78); // EX_CONFIG, as the services do
}

runStack(settings, repoRoot).then(
  (code) => process.exit(code),
  (error: unknown) => {
    stackOutput.error(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
