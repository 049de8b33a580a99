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
    let byName = await this.byName(false);
    if (names.some((name) => !byName.has(name.toLowerCase()))) byName = await this.byName(true);
    const missing = names.filter((name) => !byName.has(name.toLowerCase()));
    if (missing.length > 0) throw new MissingGroupsError(missing);

    const managedIds = new Set(names.map((name) => byName.get(name.toLowerCase())!));
    return {
      managedIds,
      idOf(name) {
        const id = byName.get(name.toLowerCase());
        if (!id) throw new MissingGroupsError([name]);
        return id;
      },
    };
  }

  private async byName(refresh: boolean): Promise<Map<string, string>> {
    if (refresh || !this.cached || this.clock() - this.cached.at > this.maxAgeMs) {
      this.cached = { at: this.clock(), groups: await this.bitwarden.listGroups() };
    }
    // Bitwarden does not keep names unique; the first group listed under a name wins.
    const byName = new Map<string, string>();
    for (const group of this.cached.groups) if (!byName.has(group.name.toLowerCase())) byName.set(group.name.toLowerCase(), group.id);
    return byName;
  }
}
