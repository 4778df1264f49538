/**
 * Which way imports go (README, "Layout"). `npm run lint` fails on any of these.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes load order matter and modules impossible to read alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-stands-alone',
      severity: 'error',
      comment: 'core/ knows no transport, adapter, bench or test: it imports only core/ (and its own npm dependencies).',
      from: { path: '^core/' },
      to: { path: '^(?!core/)', dependencyTypesNot: ['npm', 'npm-optional', 'core'] },
    },
    {
      name: 'transports-use-the-seam',
      severity: 'error',
      comment:
        'A transport sees the seam (core/transport.ts), the clock, errors, durations and core/lib helpers; nothing of functions, runs or steps.',
      from: { path: '^transports/' },
      to: { path: '^core/', pathNot: '^core/(transport|clock|errors|duration)[.]ts$|^core/lib/' },
    },
    {
      name: 'transports-stand-apart',
      severity: 'error',
      comment: 'One transport never reaches into another; only transports/resolve.ts knows them all.',
      from: { path: '^transports/([^/]+)/' },
      to: { path: '^transports/', pathNot: '^transports/($1|shared)/' },
    },
    {
      name: 'adapters-stay-thin',
      severity: 'error',
      comment: 'Framework adapters only map requests onto adapters/http, the one handler.',
      from: { path: '^adapters/(?!http/|otel/)' },
      to: { path: '^(core|transports)/' },
    },
    {
      name: 'otel-binds-the-tracer-seam',
      severity: 'error',
      comment: 'The OpenTelemetry binding implements core/tracing.ts and knows nothing else of the core.',
      from: { path: '^adapters/otel/' },
      to: { path: '^(core|transports)/', pathNot: '^core/tracing[.]ts$' },
    },
    {
      name: 'source-never-imports-tests-or-bench',
      severity: 'error',
      from: { path: '^(core|transports|adapters)/|^index[.]ts$' },
      to: { path: '^(test|bench|examples)/' },
    },
    {
      name: 'no-dev-dependencies-in-source',
      severity: 'error',
      comment: 'What the package ships may not need a devDependency at run time.',
      from: { path: '^(core|transports|adapters)/|^index[.]ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: 'node_modules/@types/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
