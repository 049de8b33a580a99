import { connectedSources, enabledConnectedSources } from './connected-sources.js';
import { fileSource } from './file/file.js';
import { FILE_SOURCE_NAME } from './file/settings.js';
import type { EnabledSource, Source, SourceSettings } from './source.js';

export { registerSource, registryRevision } from './connected-sources.js';

/**
 * Every source the product knows: the connected ones (lib/sources/connected-sources.ts, where
 * adding a source is one line) and the roster file. The ingest, the worker, the CLI, the local
 * runtime and the CDK stack read this list.
 */
const rosterFile = fileSource as unknown as Source;

export const registeredSources = (): readonly Source[] => [...connectedSources(), rosterFile];

export function findSource(name: string): Source | undefined {
  return name === FILE_SOURCE_NAME ? rosterFile : connectedSources().find((source) => source.name === name);
}

/**
 * Whether the source reads an API with its own credentials (`<NAME>_API_CREDENTIALS`, in AWS a
 * secret per source): one that fetches single workers, or reads its roster from an API (a
 * directory). The roster file is read from S3 by the function's own role.
 */
export const needsApiCredentials = (source: Source): boolean => Boolean(source.fetchWorker) || (Boolean(source.readRoster) && source.name !== FILE_SOURCE_NAME);

/** Enabled sources by name, each with its own settings from `providers.<name>` of the config. */
export function enabledSources(providers: Readonly<Record<string, SourceSettings | undefined>>): Map<string, EnabledSource> {
  const enabled = enabledConnectedSources(providers);
  const settings = providers[FILE_SOURCE_NAME];
  if (settings?.enabled) enabled.set(FILE_SOURCE_NAME, { source: rosterFile, settings });
  return enabled;
}
