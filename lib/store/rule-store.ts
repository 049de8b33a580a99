import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, scanAll } from './dynamo.js';
import type { Rule } from '../config/schema.js';

interface RuleItem {
  ruleId: string;
  position: number;
  rule: Rule;
  checksum: string;
}

const checksumOf = (rule: Rule) => createHash('sha256').update(JSON.stringify(rule)).digest('hex');

/** The role→group rules as deployed. The table is small (one item per rule), so it is read whole. */
export class RuleStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async list(): Promise<Rule[]> {
    const items = await scanAll<RuleItem>(this.db, this.table);
    return items.sort((a, b) => a.position - b.position).map((item) => item.rule);
  }

  /** Makes the table hold exactly `rules`: changed rules are rewritten, removed ones deleted, unchanged ones left alone. */
  async replaceAll(rules: readonly Rule[]): Promise<{ written: string[]; deleted: string[] }> {
    const existing = new Map((await scanAll<RuleItem>(this.db, this.table)).map((item) => [item.ruleId, item]));
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
