import type { BitwardenClient } from '../bitwarden/client.js';
import type { Group } from '../bitwarden/types.js';
import type { Rule } from '../config/schema.js';
import { managedGroupNames } from '../policy/rules.js';
import type { GroupDirectory } from './plan.js';

/** A group the rules name that Bitwarden does not have, and the rules that name it. */
export interface MissingGroup {
  group: string;
  rules: string[];
}

/** Rules name groups Bitwarden does not have. Raised before any member is touched, and before a rules deployment writes anything. */
export class MissingGroupsError extends Error {
  override readonly name = 'MissingGroupsError';
  readonly groupNames: string[];
  constructor(readonly missing: MissingGroup[]) {
    const told = missing.map(({ group, rules }) => `"${group}"${rules.length ? ` (named by rule${rules.length > 1 ? 's' : ''} ${rules.join(', ')})` : ''}`);
    super(`Bitwarden has no group named ${told.join(', ')}; create it in Bitwarden or fix the rule (names are matched ignoring case; bitwarden.createMissingGroups: true creates them at deploy)`);
    this.groupNames = missing.map(({ group }) => group);
  }
}

/** The groups the rules name that `groups` lacks, each with the ids of the rules that name it (a misspelling shows where to fix it). */
export function missingGroups(groups: readonly Pick<Group, 'name'>[], rules: readonly Rule[]): MissingGroup[] {
  const existing = new Set(groups.map((group) => group.name.toLowerCase()));
  return managedGroupNames(rules)
    .filter((name) => !existing.has(name.toLowerCase()))
    .map((group) => ({ group, rules: rules.filter((rule) => rule.groups.some((name) => name.toLowerCase() === group.toLowerCase())).map((rule) => rule.id) }));
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
  const missing = missingGroups(groups, rules);
  if (missing.length > 0) throw new MissingGroupsError(missing);
  return {
    managedIds: new Set(names.map((name) => ids.get(name.toLowerCase())!)),
    idOf(name) {
      const id = ids.get(name.toLowerCase());
      if (!id) throw new MissingGroupsError([{ group: name, rules: [] }]);
      return id;
    },
  };
}
