import { bambooHrSource } from './bamboohr/bamboohr.js';
import { entraDirectorySource } from './entradirectory/entradirectory.js';
import { FILE_SOURCE_NAME, FileSettingsSchema } from './file/settings.js';
import { finchSource } from './finch/finch.js';
import { genericSource } from './generic/generic.js';
import { googleWorkspaceSource } from './googleworkspace/googleworkspace.js';
import { hiBobSource } from './hibob/hibob.js';
import { ldapSource } from './ldap/ldap.js';
import { mergeSource } from './merge/merge.js';
import { oktaDirectorySource } from './oktadirectory/oktadirectory.js';
import { oneLoginDirectorySource } from './onelogindirectory/onelogindirectory.js';
import type { EnabledSource, Source, SourceSettings } from './source.js';

/**
 * The sources the product is connected to: they send webhooks, or answer API reads, or both. Every
 * source but the roster file, which lib/sources/registry.ts adds: what reads no roster file (the
 * config schema, the reconciler; the worker on demand, to fetch a record) imports this list, and
 * bundles neither the file source nor its CSV parser. The ingest loads only the source a webhook
 * names, from lib/sources/webhook-sources.ts.
 */
const sources: Source[] = [
  genericSource, bambooHrSource, hiBobSource, mergeSource, finchSource,
  // Directories: rosters only (lib/sources/source.ts, defineRosterSource).
  ldapSource, googleWorkspaceSource, entraDirectorySource, oktaDirectorySource, oneLoginDirectorySource,
].map((source) => source as unknown as Source);

/** Bumped by every registration, so that what is derived from the list (the config schema) knows to rebuild. */
let revision = 0;

export const connectedSources = (): readonly Source[] => sources;
export const registryRevision = () => revision;

export function findConnectedSource(name: string): Source | undefined {
  return sources.find((source) => source.name === name);
}

/** Adds a source at run time (a test's throwaway source, or a customer's own in a fork). */
export function registerSource<Settings extends SourceSettings>(source: Source<Settings>): void {
  if (source.name === FILE_SOURCE_NAME || findConnectedSource(source.name)) throw new Error(`a source named "${source.name}" is registered already`);
  sources.push(source as unknown as Source);
  revision++;
}

/** Every source's schema of `providers.<name>`, the roster file's included: what the config file is validated by. */
export const sourceSettings = (): ReadonlyArray<readonly [name: string, settings: Source['settings']]> => [
  ...sources.map((source) => [source.name, source.settings] as const),
  [FILE_SOURCE_NAME, FileSettingsSchema],
];

/** Enabled connected sources by name, each with its own settings from `providers.<name>` of the config. */
export function enabledConnectedSources(providers: Readonly<Record<string, SourceSettings | undefined>>): Map<string, EnabledSource> {
  const enabled = new Map<string, EnabledSource>();
  for (const source of sources) {
    const settings = providers[source.name];
    if (settings?.enabled) enabled.set(source.name, { source, settings });
  }
  return enabled;
}

/** The enabled sources whose API can list their roster (a roster file is read when it arrives, not on a schedule). */
export function rosterSources(providers: Readonly<Record<string, SourceSettings | undefined>>): string[] {
  return [...enabledConnectedSources(providers).values()].filter(({ source }) => source.readRoster).map(({ source }) => source.name);
}
