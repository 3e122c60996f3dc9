import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedDeployment } from './deployment';
import { serviceCatalog, type ServiceEntry } from './service-catalog';
import { serviceScaffold } from './service-scaffold';

/**
 * `npm run generate`: writes the catalog's part of docker-compose.yml, the PostgreSQL init
 * script and Prometheus's configuration for compose (src/deployment.ts), and the package.json and tsconfig.json of a catalog service whose
 * folder has none yet (src/service-scaffold.ts). With --check it writes nothing, names each file that differs from
 * what it would write, and exits 1 if any does.
 */

export interface FileOutcome {
  /** Relative to the repository's root. */
  file: string;
  state: 'up to date' | 'written' | 'differs' | 'missing';
}

/** Compares each generated file with the one under `root`, and writes it when it differs, unless `check`. */
export function generate(root: string, check: boolean, catalog: readonly ServiceEntry[] = serviceCatalog): FileOutcome[] {
  const deployment = generatedDeployment(root, catalog).map(({ file, content }): FileOutcome => {
    const target = path.join(root, file);
    const exists = existsSync(target);
    if (exists && readFileSync(target, 'utf8') === content) return { file, state: 'up to date' };
    if (check) return { file, state: exists ? 'differs' : 'missing' };
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    // A script is run, not sourced, by the postgres image's entrypoint when it is executable.
    if (file.endsWith('.sh')) chmodSync(target, 0o755);
    return { file, state: 'written' };
  });
  const scaffolds = catalog
    .filter((service) => !existsSync(path.join(root, 'services', service.name, 'package.json')))
    .flatMap(serviceScaffold)
    .filter(({ file }) => !existsSync(path.join(root, file)))
    .map(({ file, content }): FileOutcome => {
      if (check) return { file, state: 'missing' };
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), content);
      return { file, state: 'written' };
    });
  return [...deployment, ...scaffolds];
}

function main(args: readonly string[]): number {
  if (args.some((arg) => arg !== '--check')) {
    process.stderr.write('usage: node packages/catalog/dist/src/generate-deployment.js [--check]\n');
    return 2;
  }
  const outcomes = generate(path.resolve(__dirname, '..', '..', '..', '..'), args.includes('--check'));
  for (const { file, state } of outcomes) {
    if (state === 'differs') process.stderr.write(`${file}: differs from what the catalog generates (run \`npm run generate\`)\n`);
    else if (state === 'missing') process.stderr.write(`${file}: missing, though the catalog generates it (run \`npm run generate\`)\n`);
    else process.stdout.write(`${file}: ${state}\n`);
  }
  return outcomes.some(({ state }) => state === 'differs' || state === 'missing') ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`generate-deployment: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
