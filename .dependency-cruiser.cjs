/**
 * The structure of lib/, checked by `npm test` (test/unit/structure.test.ts runs depcruise with this file).
 * The README's "Layout" draws the same layers.
 *
 * lib/ is a stack of folders, lowest first. A folder may import only folders below it, so arrows
 * point down and folders cannot form loops. functions/ and cdk/ sit on top; lib/local (the local
 * runtime and its emulators) is for `npm start` and the tests only.
 */
const layers = [
  'vocabulary', // shared words: worker record and change, member types and statuses, action kinds, time zones, dates
  'sources', // one folder per source (HR systems today), behind one interface and a registry
  'bitwarden', // the Public API client
  'config', // the config file's schema (built from the sources' settings) and loading
  'policy', // rules and decide: pure
  'queue', // the message, lanes, SQS publishing and dead letters
  'store', // DynamoDB tables
  'notify', // telling people: the Notifier, its messages, SNS and chat formats
  'lifecycle', // the guard and the sweeper
  'sync', // evaluate, plan, execute, apply
  'rules', // deploying rules, the changed-rules computation
  'roster', // reading sources' whole rosters: only changes, absence guarded
  'reconcile', // drift between HR, state and Bitwarden
  'ingest', // webhook receipt
  'scim', // the SCIM endpoint identity providers push to: filters, PATCH, resources, discovery
  'evidence', // the auditors' export
  'runtime', // the edges: environment, AWS clients, secrets, observability, composition roots
  'cli', // `npx lifecycle`
  'local', // `npm start`, emulators of Bitwarden and AWS event sources
];

const above = (index) => layers.slice(index + 1).join('|');

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules form no import cycle.', from: {}, to: { circular: true } },
    ...layers.slice(0, -1).map((layer, index) => ({
      name: `${layer}-imports-no-higher-layer`,
      severity: 'error',
      comment: `lib/${layer} may import only the folders below it (${layers.slice(0, index).join(', ') || 'none'}).`,
      from: { path: `^lib/${layer}/` },
      to: { path: `^lib/(${above(index)})/` },
    })),
    {
      name: 'lib-imports-no-entry-point',
      severity: 'error',
      comment: 'functions/ and cdk/ sit on top of lib/; only the local runtime (which runs the handlers as Lambda would) imports functions/.',
      from: { path: '^lib/', pathNot: '^lib/local/' },
      to: { path: '^(functions|cdk)/' },
    },
    {
      name: 'local-only-for-local-runs',
      severity: 'error',
      comment: 'lib/local is for npm start, the tests, the benchmark and the demo: never in a Lambda, the stack or production lib/.',
      from: { path: '^(functions|cdk|lib)/', pathNot: '^lib/local/' },
      to: { path: '^lib/local/' },
    },
    {
      name: 'emulators-only-for-local-runs',
      severity: 'error',
      comment: 'A source\'s emulator.ts is mounted by lib/local; production code never loads it.',
      from: { path: '^(functions|cdk|lib)/', pathNot: '^lib/(local/|sources/[^/]+/emulator\\.ts$)' },
      to: { path: '^lib/sources/([^/]+/emulator|source-emulator)\\.ts$' },
    },
    {
      name: 'cli-and-local-apart',
      severity: 'error',
      comment: 'The CLI and the local runtime meet only through lib/runtime (the local target file).',
      from: { path: '^lib/cli/' },
      to: { path: '^lib/local/' },
    },
    {
      name: 'one-source-per-folder',
      severity: 'error',
      comment: 'A source folder imports no other source\'s folder: each stands alone behind the interface.',
      from: { path: '^lib/sources/([^/]+)/' },
      to: { path: '^lib/sources/[^/]+/', pathNot: '^lib/sources/$1/' },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API, so swc parses the sources.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
