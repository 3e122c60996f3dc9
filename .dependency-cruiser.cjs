/**
 * The layer rules of the monorepo, checked by `npm run deps` (dependency-cruiser) in CI.
 * Imports of another workspace resolve to its built `dist/`, which is not traversed: these
 * rules look at what each file imports, and the cycles are between source files.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Two modules that import each other cannot be read, tested or changed one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'services-never-import-services',
      severity: 'error',
      comment: "Services talk over RabbitMQ through @shop/contracts, never through each other's code.",
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'packages-never-import-services',
      severity: 'error',
      comment: 'Cross-cutting packages know nothing of the services built on them.',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
    {
      name: 'domain-never-imports-transport',
      severity: 'error',
      comment: 'Use cases and domain rules know no HTTP and no broker: the entry points map their errors.',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: ['^packages/(http|messaging)/', 'node_modules/(express|amqplib)/'] },
    },
    {
      name: 'domain-never-imports-entry-points',
      severity: 'error',
      comment: 'Entry points call the domain, not the other way round.',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: '^services/[^/]+/src/entry-points/' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', 'dist'] },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
