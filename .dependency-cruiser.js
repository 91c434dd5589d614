// The architecture, checked on every `npm test` (npm run lint): who may import whom. The parts
// are in README.md#architecture. Type-only imports count (tsPreCompilationDeps): a type cycle
// or a type reaching across a boundary couples the two sides just the same.
//
//   src/gateway ──▶ src/supervisor ──▶ src/rpc ──▶ src/core/contract.ts ◀── workers/
//        (edge)        (sessions)        (RPC)      (the core's one door)      (thread/process entry)
//   src/core     the SDK core, loaded by URL in a worker: imports nothing outside itself
//   src/imserver the embedded IM server (own thread): none of the above
//   src/*.ts     shared leaves (errors, ids, log, protocol, options, metrics) and the composition
//                (index.ts, cli.ts) that wires the parts together

/** Modules of sdkgate itself (not node_modules, not Node's). */
const OURS = '^(src|workers)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other (type imports count): move the shared piece to its own file.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-stands-alone',
      severity: 'error',
      comment: 'src/core runs in a worker that must not load the rest of sdkgate: it imports nothing outside src/core.',
      from: { path: '^src/core/' },
      to: { path: OURS, pathNot: '^src/core/' },
    },
    {
      name: 'core-through-its-contract',
      severity: 'error',
      comment: "The core is loaded by URL (CoreModule); outside it, only its contract (src/core/contract.ts) is imported. The worker bundle's entry links the default core in (next rule).",
      from: { path: OURS, pathNot: '^src/core/|^workers/bundle-entry[.]ts$' },
      to: { path: '^src/core/', pathNot: '^src/core/contract[.]ts$' },
    },
    {
      name: 'gateway-edge-only',
      severity: 'error',
      comment: 'The gateway reaches sessions through the supervisor, never the RPC, the core, the IM server or a worker entry.',
      from: { path: '^src/gateway/' },
      to: { path: '^(src/rpc|src/core|src/imserver|workers)/' },
    },
    {
      name: 'supervisor-below-the-edge',
      severity: 'error',
      comment: 'The supervisor serves the gateway; it never imports the gateway, the IM server, the demo or a worker entry.',
      from: { path: '^src/supervisor/' },
      to: { path: '^(src/gateway|src/imserver|src/demo|workers)/' },
    },
    {
      name: 'rpc-both-sides',
      severity: 'error',
      comment: 'src/rpc runs on both sides of the MessagePort: it may not pull main-thread parts into a worker.',
      from: { path: '^src/rpc/' },
      to: { path: '^(src/gateway|src/supervisor|src/imserver|src/demo|workers)/' },
    },
    {
      name: 'imserver-alone',
      severity: 'error',
      comment: 'The embedded IM server stands in for a remote OpenIM: it imports none of the gateway, supervisor, RPC, core, demo, or the composition modules.',
      from: { path: '^src/imserver/' },
      to: {
        path: '^(src/gateway|src/supervisor|src/rpc|src/core|src/demo|workers)/|^src/(index|cli|options|embedded-im|protocol)[.]ts$',
      },
    },
    {
      name: 'workers-thin',
      severity: 'error',
      comment: "A worker entry imports only the protocol, the error catalog, the RPC's worker half (not its client) and the core contract (workers/session-worker.ts).",
      from: { path: '^workers/', pathNot: '^workers/bundle-entry[.]ts$' },
      to: { path: '^src/', pathNot: '^src/(protocol|errors)[.]ts$|^src/rpc/(?!client[.]ts$)|^src/core/contract[.]ts$' },
    },
    {
      name: 'bundle-entry-links-the-core',
      severity: 'error',
      comment: "The session worker's bundle entry (src/supervisor/worker-bundle.ts) links the default core, by its module entry, into the worker; nothing else of src/.",
      from: { path: '^workers/bundle-entry[.]ts$' },
      to: { path: '^src/', pathNot: '^src/core/index[.]ts$' },
    },
    {
      name: 'src-not-tests',
      severity: 'error',
      comment: 'Shipped code never imports tests, benchmarks or scripts.',
      from: { path: OURS },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'src-not-dev-dependencies',
      severity: 'error',
      comment: 'The installed package has no devDependencies. esbuild bundles the demo page and the session worker only in a checkout (src/demo/bundle.ts, src/supervisor/worker-bundle.ts import it lazily; the package ships dist/web/ and the prebuilt worker bundle).',
      from: { path: OURS, pathNot: '^src/demo/bundle[.]ts$|^src/supervisor/worker-bundle[.]ts$' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages the way Node does for ESM (p-queue and others export only `import`).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
