import type { LifecycleConfig } from '../config/schema.js';
import type { ReconcileDependencies } from '../reconcile/reconcile.js';
import { findConnectedSource, rosterSources } from '../sources/connected-sources.js';
import { searchDirectory } from '../sources/ldap/directory.js';
import { reconcileDependencies, sourceRosterReader } from './dependencies.js';
import type { Environment } from './env.js';

/**
 * The reconciliation's dependencies, with a reader for each enabled source whose API lists its roster
 * (directories searched with the LDAP client). Apart from dependencies.ts, as lib/runtime/roster-reader.ts
 * is: only the reconciler and the CLI bundle the LDAP client this way, and not the roster file's parser.
 */
export function reconcileWithRosters(env: Environment, config: LifecycleConfig): ReconcileDependencies {
  const rosters = rosterSources(config.providers).map((source) => ({ source, readPage: sourceRosterReader(env, config, findConnectedSource(source)!, undefined, searchDirectory) }));
  return reconcileDependencies(env, config, rosters);
}
