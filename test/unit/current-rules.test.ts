import { describe, expect, it } from 'vitest';
import type { Rule } from '../../lib/config/schema.js';
import { currentRules, type RulesVersion } from '../../lib/store/rule-store.js';
import { checksumOf } from '../../lib/vocabulary/canonical-json.js';

/** The rule table as the worker sees it, counting its reads; the deployer records the checksum of what it wrote. */
function ruleTable(deployed: Rule[]) {
  const table = {
    rules: deployed,
    checksum: checksumOf(deployed),
    versionReads: 0,
    listReads: 0,
    deploy(rules: Rule[]) {
      table.rules = rules;
      table.checksum = checksumOf(rules);
    },
    async version(): Promise<RulesVersion> {
      table.versionReads++;
      // A read takes a turn of the event loop, as DynamoDB's answer does.
      await new Promise((resolve) => setImmediate(resolve));
      return { version: 1, checksum: table.checksum, deployedAt: '2026-11-27T00:00:00.000Z', source: 'test' };
    },
    async list(): Promise<Rule[]> {
      table.listReads++;
      return table.rules;
    },
  };
  return table;
}

const engineering = { id: 'engineering', match: { department: 'Engineering' }, groups: ['Engineering'] } as unknown as Rule;
const sales = { id: 'sales', match: { department: 'Sales' }, groups: ['Sales'] } as unknown as Rule;
const reads = (table: ReturnType<typeof ruleTable>) => ({ versionReads: table.versionReads, listReads: table.listReads });

describe('the deployed rules, as the worker reads them', () => {
  it('are read once for the workers of a batch that ask side by side, then only their version until a deployment', async () => {
    const table = ruleTable([engineering]);
    const rules = currentRules(table);

    // A cold container: the rules and their version side by side, once for the whole batch.
    const batch = await Promise.all(Array.from({ length: 10 }, () => rules()));
    expect(batch.every((read) => read === batch[0])).toBe(true);
    expect(batch[0]).toEqual([engineering]);
    expect(reads(table)).toEqual({ versionReads: 1, listReads: 1 });

    // The next message asks whether a deployment changed them: one item read, and the rules themselves only when it did.
    await rules();
    expect(reads(table)).toEqual({ versionReads: 2, listReads: 1 });
    table.deploy([engineering, sales]);
    expect(await rules()).toEqual([engineering, sales]);
    expect(reads(table)).toEqual({ versionReads: 3, listReads: 2 });
  });

  it('read cold while a deployment lands are read again, not kept under a version they are not', async () => {
    const table = ruleTable([engineering]);
    const version = table.version;
    // The deployer records the new version between the two side-by-side reads: the rules read are the old ones.
    table.version = async () => {
      const read = await version();
      if (table.versionReads === 1) table.deploy([engineering, sales]);
      return { ...read, checksum: table.checksum };
    };
    const rules = currentRules(table);
    // The rules again, under the version already read: nothing deployed before it is missing from them.
    expect(await rules()).toEqual([engineering, sales]);
    expect(reads(table)).toEqual({ versionReads: 1, listReads: 2 });
    await rules();
    expect(reads(table)).toEqual({ versionReads: 2, listReads: 2 });
  });

  it('are read again after a read that failed', async () => {
    const table = ruleTable([engineering]);
    const version = table.version;
    let failures = 1;
    table.version = async () => {
      if (failures-- > 0) throw new Error('DynamoDB unavailable');
      return version();
    };
    const rules = currentRules(table);
    await expect(Promise.all([rules(), rules()])).rejects.toThrow('DynamoDB unavailable');
    expect(await rules()).toEqual([engineering]);
  });
});
