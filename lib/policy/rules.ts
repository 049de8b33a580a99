import type { Rule } from '../config/schema.js';
import { matchableAttributes, type WorkerRecord } from '../hris/worker-record.js';

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else is literal. Case is ignored: HR data is not consistent about it. */
function globToRegExp(pattern: string): RegExp {
  let regexp = globCache.get(pattern);
  if (!regexp) {
    const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    regexp = new RegExp(`^${body}$`, 'i');
    globCache.set(pattern, regexp);
  }
  return regexp;
}

export function ruleMatches(rule: Rule, worker: WorkerRecord): boolean {
  return matchableAttributes.every((attribute) => {
    const expected = rule.match[attribute];
    if (expected === undefined) return true;
    const actual = worker[attribute];
    if (actual === null) return false;
    const patterns = Array.isArray(expected) ? expected : [expected];
    return patterns.some((pattern) => globToRegExp(pattern.trim()).test(actual.trim()));
  });
}

export interface GroupGrant {
  /** Group names, de-duplicated case-insensitively and sorted, as the rules spell them. */
  groups: string[];
  matchedRules: string[];
}

/** A worker's groups are the union of the groups of every rule that matches it. */
export function groupsFor(worker: WorkerRecord, rules: readonly Rule[]): GroupGrant {
  const groups = new Map<string, string>();
  const matchedRules: string[] = [];
  for (const rule of rules) {
    if (!ruleMatches(rule, worker)) continue;
    matchedRules.push(rule.id);
    for (const group of rule.groups) if (!groups.has(group.toLowerCase())) groups.set(group.toLowerCase(), group);
  }
  return { groups: [...groups.values()].sort(), matchedRules };
}

/** Every group some rule names: the only groups the product may add members to or remove them from. */
export function managedGroupNames(rules: readonly Rule[]): string[] {
  const names = new Map<string, string>();
  for (const rule of rules) for (const group of rule.groups) if (!names.has(group.toLowerCase())) names.set(group.toLowerCase(), group);
  return [...names.values()].sort();
}
