import type { LifecycleConfig } from '../config/schema.js';
import { genericProvider } from './generic.js';
import type { HrisProvider } from './provider.js';

const allProviders: readonly HrisProvider[] = [genericProvider];

/** The providers the config enables, by route name. */
export function enabledProviders(config: LifecycleConfig): Map<string, HrisProvider> {
  const settings = config.providers as Record<string, { enabled: boolean } | undefined>;
  return new Map(allProviders.filter((provider) => settings[provider.name]?.enabled).map((provider) => [provider.name, provider]));
}
