import type { BitwardenClient } from '../bitwarden/client.js';
import type { Group } from '../bitwarden/types.js';
import type { Rule } from '../config/schema.js';
import { managedGroupNames } from '../policy/rules.js';
import type { GroupDirectory } from './plan.js';

/** Rules name groups Bitwarden does not have. Raised before any member is touched. */
export class MissingGroupsError extends Error {
  override readonly name = 'MissingGroupsError';
  constructor(readonly groupNames: string[]) {
    super(`Bitwarden has no group named ${groupNames.map((name) => `"${name}"`).join(', ')}; create it or fix the rules (names are matched ignoring case)`);
  }
}

/** Resolves the rules' group names to Bitwarden ids through a group list cached for `maxAgeMs`. */
export class GroupDirectoryCache {
  private cached: { at: number; groups: Group[] } | null = null;

  constructor(
    private readonly bitwarden: Pick<BitwardenClient, 'listGroups'>,
    private readonly maxAgeMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async resolve(rules: readonly Rule[]): Promise<GroupDirectory> {
    const names = managedGroupNames(rules);
    let groups = await this.groups(false);
    if (names.some((name) => !byName(groups).has(name.toLowerCase()))) groups = await this.groups(true);
    return groupDirectory(groups, rules);
  }

  private async groups(refresh: boolean): Promise<Group[]> {
    if (refresh || !this.cached || this.clock() - this.cached.at > this.maxAgeMs) {
      this.cached = { at: this.clock(), groups: await this.bitwarden.listGroups() };
    }
    return this.cached.groups;
  }
}

/** Bitwarden does not keep names unique; the first group listed under a name wins. */
function byName(groups: readonly Group[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const group of groups) if (!ids.has(group.name.toLowerCase())) ids.set(group.name.toLowerCase(), group.id);
  return ids;
}

/** The rules' group names resolved against a group listing; every name must exist. */
export function groupDirectory(groups: readonly Group[], rules: readonly Rule[]): GroupDirectory {
  const names = managedGroupNames(rules);
  const ids = byName(groups);
  const missing = names.filter((name) => !ids.has(name.toLowerCase()));
  if (missing.length > 0) throw new MissingGroupsError(missing);
  return {
    managedIds: new Set(names.map((name) => ids.get(name.toLowerCase())!)),
    idOf(name) {
      const id = ids.get(name.toLowerCase());
      if (!id) throw new MissingGroupsError([name]);
      return id;
    },
  };
}
