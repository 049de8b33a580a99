import { createHash } from 'node:crypto';
import { parseConfig } from '../config/load.js';
import type { RuleStore } from '../store/rule-store.js';

export interface RulesDeployment {
  ruleCount: number;
  /** SHA-256 of the deployed rules, in order. */
  checksum: string;
  written: string[];
  deleted: string[];
}

/**
 * Makes the rules table match the config file's rules: the step `cdk deploy` runs (through a
 * custom resource) and `npm start` runs at boot. The file is validated by the same schema first,
 * so a bad file changes nothing.
 */
export async function deployRules(configText: string, source: string, store: RuleStore): Promise<RulesDeployment> {
  const { rules } = parseConfig(configText, source);
  const { written, deleted } = await store.replaceAll(rules);
  return { ruleCount: rules.length, checksum: createHash('sha256').update(JSON.stringify(rules)).digest('hex'), written, deleted };
}
