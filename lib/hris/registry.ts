import type { LifecycleConfig } from '../config/schema.js';
import type { HrisProvider } from './provider.js';
import { bambooHrProvider } from './providers/bamboohr.js';
import { finchProvider } from './providers/finch.js';
import { genericProvider } from './providers/generic.js';
import { hiBobProvider } from './providers/hibob.js';
import { mergeProvider } from './providers/merge.js';

export const allProviders: readonly HrisProvider[] = [genericProvider, bambooHrProvider, hiBobProvider, mergeProvider, finchProvider];

/** The providers the config enables, by route name. */
export function enabledProviders(config: LifecycleConfig): Map<string, HrisProvider> {
  const settings = config.providers as Record<string, { enabled: boolean } | undefined>;
  return new Map(allProviders.filter((provider) => settings[provider.name]?.enabled).map((provider) => [provider.name, provider]));
}
