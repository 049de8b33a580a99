import type { Rule } from '../config/schema.js';
import { memberTypePrecedence, type MemberTypeName } from '../vocabulary/bitwarden.js';
import { matchableAttributes, type WorkerRecord } from '../vocabulary/worker-record.js';
import { globMatcher } from './glob.js';

/** A value matches when any pattern does; a missing value matches nothing. */
function valueMatches(expected: string | string[] | undefined, actual: string | null | undefined): boolean {
  if (expected === undefined) return true;
  if (actual === null || actual === undefined) return false;
  return (Array.isArray(expected) ? expected : [expected]).some((pattern) => globMatcher(pattern.trim())(actual.trim()));
}

/** Only the worker's own attributes: `constructor` or `toString` must not read what every object inherits. */
const ownAttribute = (worker: WorkerRecord, name: string) => (Object.hasOwn(worker.attributes, name) ? worker.attributes[name] : undefined);

export function ruleMatches(rule: Rule, worker: WorkerRecord): boolean {
  return (
    matchableAttributes.every((attribute) => valueMatches(rule.match[attribute], worker[attribute])) &&
    Object.entries(rule.match.attributes ?? {}).every(([name, expected]) => valueMatches(expected, ownAttribute(worker, name))) &&
    (rule.match.groups === undefined || (worker.groups ?? []).some((group) => valueMatches(rule.match.groups, group)))
  );
}

export interface GroupGrant {
  /** Group names, de-duplicated case-insensitively and sorted, as the rules spell them. */
  groups: string[];
  matchedRules: string[];
  /** The most privileged member type a matching rule grants, if any does. */
  memberType: MemberTypeName | null;
}

/** A worker's groups are the union of the groups of every rule that matches it. */
export function groupsFor(worker: WorkerRecord, rules: readonly Rule[]): GroupGrant {
  const groups = new Map<string, string>();
  const matchedRules: string[] = [];
  const types = new Set<MemberTypeName>();
  for (const rule of rules) {
    if (!ruleMatches(rule, worker)) continue;
    matchedRules.push(rule.id);
    if (rule.memberType) types.add(rule.memberType);
    for (const group of rule.groups) if (!groups.has(group.toLowerCase())) groups.set(group.toLowerCase(), group);
  }
  return { groups: [...groups.values()].sort(), matchedRules, memberType: memberTypePrecedence.find((type) => types.has(type)) ?? null };
}

/** Every group some rule names: the only groups the product may add members to or remove them from. */
export function managedGroupNames(rules: readonly Rule[]): string[] {
  const names = new Map<string, string>();
  for (const rule of rules) for (const group of rule.groups) if (!names.has(group.toLowerCase())) names.set(group.toLowerCase(), group);
  return [...names.values()].sort();
}
