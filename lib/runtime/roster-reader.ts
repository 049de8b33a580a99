import type { LifecycleConfig } from '../config/schema.js';
import { searchDirectory } from '../sources/ldap/directory.js';
import { findSource } from '../sources/registry.js';
import type { ReadRosterPage } from '../sources/roster.js';
import { sourceRosterReader } from './dependencies.js';
import type { Environment } from './env.js';

/**
 * Pages of any source's roster by its name, the roster file's included (from `location`: a path or
 * an S3 object). Apart from dependencies.ts: only what reads rosters bundles the file source's CSV
 * parser and the LDAP client.
 */
export function rosterReader(env: Environment, config: LifecycleConfig, sourceName: string, location?: string): ReadRosterPage {
  const source = findSource(sourceName);
  if (!source?.readRoster) throw new Error(`source "${sourceName}" cannot list its roster`);
  return sourceRosterReader(env, config, source, location, searchDirectory);
}

