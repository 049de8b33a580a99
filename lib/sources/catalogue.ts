import type { Source } from './source.js';

/**
 * Every connected source (all but the roster file), by name, each loaded on demand: a chunk of its
 * own in a function's bundle (cdk/handler-bundle.ts), so that the ingest loads only the source a
 * webhook names, at its first webhook (lib/sources/webhook-sources.ts; docs/design.md, decision 18).
 * Adding a source is one line here; lib/sources/connected-sources.ts loads them all for the code that
 * lists every source.
 */
export const sourceCatalogue: ReadonlyMap<string, () => Promise<Source>> = new Map<string, () => Promise<Source>>([
  ['generic', async () => (await import('./generic/generic.js')).genericSource as unknown as Source],
  ['bamboohr', async () => (await import('./bamboohr/bamboohr.js')).bambooHrSource as unknown as Source],
  ['hibob', async () => (await import('./hibob/hibob.js')).hiBobSource as unknown as Source],
  ['merge', async () => (await import('./merge/merge.js')).mergeSource as unknown as Source],
  ['finch', async () => (await import('./finch/finch.js')).finchSource as unknown as Source],
  // Directories: rosters only (lib/sources/source.ts, defineRosterSource).
  ['ldap', async () => (await import('./ldap/ldap.js')).ldapSource as unknown as Source],
  ['googleworkspace', async () => (await import('./googleworkspace/googleworkspace.js')).googleWorkspaceSource as unknown as Source],
  ['entradirectory', async () => (await import('./entradirectory/entradirectory.js')).entraDirectorySource as unknown as Source],
  ['oktadirectory', async () => (await import('./oktadirectory/oktadirectory.js')).oktaDirectorySource as unknown as Source],
  ['onelogindirectory', async () => (await import('./onelogindirectory/onelogindirectory.js')).oneLoginDirectorySource as unknown as Source],
]);
