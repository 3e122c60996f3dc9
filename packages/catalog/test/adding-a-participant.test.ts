import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const PATCH = 'docs/examples/add-a-fraud-check.patch';

/**
 * docs/adding-a-service.md's worked example is a real change: a fraud service and a check-fraud
 * step before the charge, as a patch. Applied, then `npm run generate` and `npm install`, it
 * builds, passes its own test and the whole end-to-end suite. These checks keep the guide true
 * as the code moves: the patch still applies to this tree, and it touches no more files than
 * the guide promises.
 */
describe('adding a participant, as docs/adding-a-service.md does it', () => {
  const patch = readFileSync(path.join(ROOT, PATCH), 'utf8');
  const files = [...patch.matchAll(/^diff --git a\/(\S+) b\//gm)].map((match) => match[1]!);

  test('when the fraud check is added, then at most ten files are written by hand, the service folder included', () => {
    assert.ok(files.length > 0 && files.length <= 10, `${files.length} files: ${files.join(', ')}`);
    const own = files.filter((file) => file.startsWith('services/fraud/'));
    assert.ok(own.length >= 3, 'the service itself is part of the count');
    for (const generated of [
      'docker-compose.yml',
      'infra/postgres/01-create-databases.sh',
      'infra/rabbitmq/definitions.json',
      'package-lock.json',
    ]) {
      assert.ok(!files.includes(generated), `${generated} is written by npm run generate or npm install, not by hand`);
    }
  });

  test('when the patch is applied to this tree, then it applies cleanly', () => {
    execFileSync('git', ['apply', '--check', PATCH], { cwd: ROOT, stdio: 'pipe' });
  });
});
