import { bambooHrSource } from './bamboohr/bamboohr.js';
import { fileSource } from './file/file.js';
import { finchSource } from './finch/finch.js';
import { genericSource } from './generic/generic.js';
import { hiBobSource } from './hibob/hibob.js';
import { mergeSource } from './merge/merge.js';
import type { Source, SourceSettings } from './source.js';

/**
 * Every source the product knows. Adding one is a folder under lib/sources and one line here: the
 * config schema, the ingest, the worker, the CLI, the local runtime and the CDK stack read this list.
 */
const sources: Source[] = [genericSource, bambooHrSource, hiBobSource, mergeSource, finchSource, fileSource].map((source) => source as unknown as Source);

/** Bumped by every registration, so that what is derived from the list (the config schema) knows to rebuild. */
let revision = 0;

export const registeredSources = (): readonly Source[] => sources;
export const registryRevision = () => revision;

export function findSource(name: string): Source | undefined {
  return sources.find((source) => source.name === name);
}

/** Adds a source at run time (a test's throwaway source, or a customer's own in a fork). */
export function registerSource<Settings extends SourceSettings>(source: Source<Settings>): void {
  if (findSource(source.name)) throw new Error(`a source named "${source.name}" is registered already`);
  sources.push(source as unknown as Source);
  revision++;
}

/** Enabled sources that take webhooks, by route name, each with its own settings from `providers.<name>` of the config. */
export function webhookSources(providers: Readonly<Record<string, SourceSettings | undefined>>): Map<string, { source: Source; settings: SourceSettings }> {
  return new Map([...enabledSources(providers)].filter(([, { source }]) => source.takesWebhooks !== false));
}

/** Enabled sources by name, each with its own settings from `providers.<name>` of the config. */
export function enabledSources(providers: Readonly<Record<string, SourceSettings | undefined>>): Map<string, { source: Source; settings: SourceSettings }> {
  const enabled = new Map<string, { source: Source; settings: SourceSettings }>();
  for (const source of sources) {
    const settings = providers[source.name];
    if (settings?.enabled) enabled.set(source.name, { source, settings });
  }
  return enabled;
}
