import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, scanAll } from './dynamo.js';
import { checksumOf } from '../vocabulary/canonical-json.js';
import type { Rule } from '../config/schema.js';

interface RuleItem {
  ruleId: string;
  position: number;
  rule: Rule;
  checksum: string;
}

/** The item that records what was deployed last (not a rule: ids starting with `#` are not rules). */
const DEPLOYMENT_ID = '#deployment';

export interface RulesVersion {
  version: number;
  checksum: string;
  deployedAt: string;
  source: string;
}

/** The role→group rules as deployed. The table is small (one item per rule), so it is read whole. */
export class RuleStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async list(): Promise<Rule[]> {
    const items = (await scanAll<RuleItem>(this.db, this.table)).filter((item) => !item.ruleId.startsWith('#'));
    return items.sort((a, b) => a.position - b.position).map((item) => item.rule);
  }

  /** What was deployed last: a one-item read, so workers can tell cheaply whether their copy is current. */
  async version(): Promise<RulesVersion | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { ruleId: DEPLOYMENT_ID }, ConsistentRead: true }));
    return (Item as RulesVersion | undefined) ?? null;
  }

  async recordVersion(rules: readonly Rule[], source: string, now: Date): Promise<RulesVersion> {
    const previous = await this.version();
    const version: RulesVersion = { version: (previous?.version ?? 0) + 1, checksum: checksumOf(rules), deployedAt: now.toISOString(), source };
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ruleId: DEPLOYMENT_ID, ...version } }));
    return version;
  }

  /** Makes the table hold exactly `rules`: changed rules are rewritten, removed ones deleted, unchanged ones left alone. */
  async replaceAll(rules: readonly Rule[]): Promise<{ written: string[]; deleted: string[] }> {
    const existing = new Map((await scanAll<RuleItem>(this.db, this.table)).filter((item) => !item.ruleId.startsWith('#')).map((item) => [item.ruleId, item]));
    const writes = rules
      .map((rule, position): RuleItem => ({ ruleId: rule.id, position, rule, checksum: checksumOf(rule) }))
      .filter((item) => {
        const before = existing.get(item.ruleId);
        return !before || before.checksum !== item.checksum || before.position !== item.position;
      });
    const kept = new Set(rules.map((rule) => rule.id));
    const deletes = [...existing.keys()].filter((ruleId) => !kept.has(ruleId));
    await batchWriteAll(this.db, this.table, [
      ...writes.map((Item) => ({ PutRequest: { Item: { ...Item } } })),
      ...deletes.map((ruleId) => ({ DeleteRequest: { Key: { ruleId } } })),
    ]);
    return { written: writes.map((item) => item.ruleId), deleted: deletes };
  }
}

/**
 * The deployed rules, re-read only when a deployment changed them: one item read tells (the worker
 * asks once per message). Calls made while that read is on its way share it, as the ten workers of
 * a batch do: a deployment that lands during the read reaches them as it would had each read
 * at once, through the re-evaluation the deployer sends the workers it changes (lib/rules/changes.ts).
 */
export function currentRules(store: Pick<RuleStore, 'version' | 'list'>): () => Promise<Rule[]> {
  let cached: { checksum: string | null; rules: Rule[] } | null = null;
  let reading: Promise<Rule[]> | null = null;
  const read = async () => {
    // A cold container reads the rules beside their version, a round trip less, and keeps them if they are that version.
    const [version, listed] = await Promise.all([store.version(), cached ? null : store.list()]);
    const checksum = version?.checksum ?? null;
    if (listed && checksumOf(listed) === checksum) cached = { checksum, rules: listed };
    else if (!cached || cached.checksum !== checksum) cached = { checksum, rules: await store.list() };
    return cached.rules;
  };
  return () => (reading ??= read().finally(() => (reading = null)));
}
