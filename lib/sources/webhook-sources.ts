import type { EnabledSource, Source, SourceSettings } from './source.js';

/**
 * The sources that take webhooks, by name, each loaded on demand: a chunk of its own in the
 * ingest's bundle (cdk/handler-bundle.ts), so that the ingest loads only the source a webhook names,
 * at its first webhook (docs/design.md, decision 18). Every connected source is listed in
 * lib/sources/connected-sources.ts, statically: what reads rosters needs them all at once, and one
 * chunk loads faster than ten. A unit test holds this list to the webhook sources of that one.
 */
export const webhookSourceLoaders: ReadonlyMap<string, () => Promise<Source>> = new Map<string, () => Promise<Source>>([
  ['generic', async () => (await import('./generic/generic.js')).genericSource as unknown as Source],
  ['bamboohr', async () => (await import('./bamboohr/bamboohr.js')).bambooHrSource as unknown as Source],
  ['hibob', async () => (await import('./hibob/hibob.js')).hiBobSource as unknown as Source],
  ['merge', async () => (await import('./merge/merge.js')).mergeSource as unknown as Source],
  ['finch', async () => (await import('./finch/finch.js')).finchSource as unknown as Source],
]);

/** The enabled sources a webhook may name, each loaded at its first webhook (the ingest's IngestDependencies.sources). */
export interface WebhookSources {
  /** The enabled source named, with its settings; undefined when none by that name is enabled, or it takes no webhooks. */
  find(name: string): Promise<EnabledSource | undefined>;
  /** Every enabled source that takes webhooks: said to a sender whose path names none of them. */
  names(): Promise<string[]>;
}

/**
 * The webhook sources `providers` enables. A name is the sender's (the webhook's path): only an own,
 * enabled key of `providers` loads anything. A source registered at run time (a test's, a fork's own)
 * is found in lib/sources/connected-sources.ts, which loads every source.
 */
export function enabledWebhookSources(providers: Readonly<Record<string, SourceSettings | undefined>>): WebhookSources {
  const loaded = new Map<string, Promise<EnabledSource | undefined>>();
  const find = (name: string): Promise<EnabledSource | undefined> => {
    const settings = Object.hasOwn(providers, name) ? providers[name] : undefined;
    if (!settings?.enabled) return Promise.resolve(undefined);
    if (!loaded.has(name)) loaded.set(name, loadSource(name).then((source) => (source && source.takesWebhooks !== false ? { source, settings } : undefined)));
    return loaded.get(name)!;
  };
  return {
    find,
    names: async () => {
      const enabled = await Promise.all(Object.keys(providers).map(async (name) => ((await find(name)) ? name : null)));
      return enabled.filter((name) => name !== null);
    },
  };
}

async function loadSource(name: string): Promise<Source | undefined> {
  const load = webhookSourceLoaders.get(name);
  return load ? load() : (await import('./connected-sources.js')).findConnectedSource(name);
}
