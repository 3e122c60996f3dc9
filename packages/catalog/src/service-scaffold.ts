import path from 'node:path';
import type { ServiceEntry } from './service-catalog';
import { SERVICE_MAIN, SERVICE_NODE_ARGS } from './service-process';

/**
 * The two files every service folder starts with and no one needs to write: its package.json
 * (the package name `@shop/<name>-service`, which the end-to-end tests load it by, the scripts
 * every service has, and the shared packages a participant uses) and its tsconfig.json.
 * `npm run generate` writes them for a catalog service whose folder has no package.json yet;
 * it never rewrites them, as a service adds dependencies of its own.
 */
export function serviceScaffold(service: ServiceEntry): Array<{ file: string; content: string }> {
  const folder = path.posix.join('services', service.name);
  const packageJson = {
    name: `@shop/${service.name}-service`,
    version: '0.1.0',
    private: true,
    description: `The ${service.name} service`,
    type: 'commonjs',
    main: SERVICE_MAIN,
    types: 'dist/src/main.d.ts',
    scripts: {
      build: 'tsc -p tsconfig.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      test: 'node --test --test-reporter=spec "dist/test/**/*.test.js"',
      start: ['node', ...SERVICE_NODE_ARGS, SERVICE_MAIN].join(' '),
    },
    dependencies: Object.fromEntries(
      ['@shop/catalog', '@shop/config', '@shop/contracts', '@shop/db', '@shop/messaging', '@shop/runtime', '@shop/telemetry'].map(
        (name) => [name, '*'],
      ),
    ),
    devDependencies: { '@shop/testing': '*' },
  };
  const tsconfig = { extends: '../../tsconfig.base.json', compilerOptions: { outDir: 'dist', rootDir: '.' }, include: ['src', 'test'] };
  return [
    { file: `${folder}/package.json`, content: `${JSON.stringify(packageJson, null, 2)}\n` },
    { file: `${folder}/tsconfig.json`, content: `${JSON.stringify(tsconfig, null, 2)}\n` },
  ];
}
