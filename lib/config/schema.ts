import { z } from 'zod';
import { registeredSources, registryRevision } from '../sources/registry.js';
import type { SourceSettings } from '../sources/source.js';
import { memberTypeNames, type MemberTypeName } from '../vocabulary/bitwarden.js';
import { isValidTimeZone } from '../vocabulary/time-zones.js';
import { matchableAttributes } from '../vocabulary/worker-record.js';

/**
 * The schema of `cdk/config/lifecycle.yaml`. The same schema runs at `cdk synth`, in the local
 * runtime and in every Lambda cold start, so a file that synthesizes is a file that runs.
 */

const bitwardenRegions = {
  us: { apiUrl: 'https://api.bitwarden.com', identityUrl: 'https://identity.bitwarden.com' },
  eu: { apiUrl: 'https://api.bitwarden.eu', identityUrl: 'https://identity.bitwarden.eu' },
} as const;

const BitwardenSchema = z
  .strictObject({
    /** `us` and `eu` are Bitwarden's clouds; `self-hosted` needs both URLs. */
    region: z.enum(['us', 'eu', 'self-hosted']).default('us'),
    apiUrl: z.url().optional(),
    identityUrl: z.url().optional(),
    /** Servers before v2026.2.0 cannot revoke: `fail` (default) stops with an error that says so; `remove` deletes leavers instead. */
    onRevokeUnsupported: z.enum(['fail', 'remove']).default('fail'),
    /** A group the rules name that Bitwarden lacks: created (true) or reported before any member is touched (false, default). */
    createMissingGroups: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    if (value.region !== 'self-hosted') return;
    for (const key of ['apiUrl', 'identityUrl'] as const) {
      if (!value[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required when region is self-hosted (e.g. https://vault.example.com/${key === 'apiUrl' ? 'api' : 'identity'})` });
    }
  })
  .transform((value) => {
    const defaults = value.region === 'self-hosted' ? undefined : bitwardenRegions[value.region];
    return {
      region: value.region,
      onRevokeUnsupported: value.onRevokeUnsupported,
      createMissingGroups: value.createMissingGroups,
      apiUrl: (value.apiUrl ?? defaults?.apiUrl ?? '').replace(/\/+$/, ''),
      identityUrl: (value.identityUrl ?? defaults?.identityUrl ?? '').replace(/\/+$/, ''),
    };
  });

const memberTypeName = z.enum(memberTypeNames as [MemberTypeName, ...MemberTypeName[]]);

const PolicySchema = z.strictObject({
  /** Compute, log and audit plans without calling Bitwarden. */
  dryRun: z.boolean().default(false),
  /** The member type of workers no rule gives one. */
  memberType: memberTypeName.default('user'),
  /** Member types above `user` that rules may grant: each must be listed here, or synth fails. */
  allowedElevatedMemberTypes: z.array(z.enum(['admin', 'owner', 'custom'])).default([]),
  /** The daily reconciliation reports drift (`report`) or also corrects it through the worker (`apply`). */
  reconcile: z.enum(['report', 'apply']).default('report'),
  /** An invitation not accepted after this many days is reported as drift. */
  inviteAcceptanceDays: z.number().int().min(1).default(14),
  /** Audit records are kept this long (DynamoDB TTL). */
  auditRetentionDays: z.number().int().min(30).default(400),
  /** The HR system deleted the worker's record (or its API answers 404): `revoke` (default) or `keep` the member as it is. */
  onWorkerRemoved: z.enum(['revoke', 'keep']).default('revoke'),
  /** The zone calendar dates are days in (IANA name). */
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin or America/New_York').default('UTC'),
  /** Invite a future hire this many days before the start date; unset: at once. */
  inviteDaysBeforeStart: z.number().int().min(0).max(365).nullable().default(null),
  /** A termination recorded ahead of time takes effect at the end of its date (default) or at its start. */
  terminationTakesEffect: z.enum(['end-of-day', 'start-of-day']).default('end-of-day'),
  /** A worker on leave keeps access (default) or is revoked until the leave ends. */
  onLeave: z.enum(['keep', 'revoke']).default('keep'),
  /** Remove revoked members this many days after their revocation; unset: never (a revoked member can be restored). */
  removeRevokedAfterDays: z.number().int().min(1).nullable().default(null),
  /** Holds revocations beyond a limit per sliding window until an admin approves them. */
  massRevocationGuard: z
    .strictObject({
      windowMinutes: z.number().int().min(1).default(60),
      maxRevocations: z.number().int().min(1).default(25),
      /** Also hold once this share of the organization's members would be revoked in the window. */
      maxShareOfOrganization: z.number().gt(0).max(1).nullable().default(0.1),
      /** Held changes go through when an admin approves them (`admin`, default), or also by themselves once the window has room again (`rate`). */
      release: z.enum(['admin', 'rate']).default('admin'),
    })
    .nullable()
    .prefault({}),
});

/** `providers`: one entry per registered source, each validated by the source's own settings schema. */
function providersSchema() {
  const entries = Object.fromEntries(registeredSources().map((source) => [source.name, source.settings.optional()]));
  return z.strictObject(entries).default({ generic: { enabled: true } }) as unknown as z.ZodType<Record<string, SourceSettings | undefined>>;
}

const nonEmptyName = z.string().trim().min(1, 'must not be empty');
const matchValue = z.union([nonEmptyName, z.array(nonEmptyName).min(1, 'must list at least one value')]);

const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/i, 'must be letters, digits, "-", "_" or "." (it names the rule in audits)'),
  description: z.string().optional(),
  /** Every listed attribute must match (AND); a list means any of its values (OR); `*` globs. Empty = everyone. */
  match: z
    .strictObject({
      ...(Object.fromEntries(matchableAttributes.map((name) => [name, matchValue.optional()])) as Record<(typeof matchableAttributes)[number], z.ZodOptional<typeof matchValue>>),
      /** Custom attributes a provider maps, by name. */
      attributes: z.record(z.string().min(1), matchValue).optional(),
    })
    .default({}),
  groups: z.array(nonEmptyName.max(100, 'must be at most 100 characters (Bitwarden group name limit)')).min(1, 'must name at least one Bitwarden group'),
  /** The member type this rule grants; above `user` only if policy.allowedElevatedMemberTypes lists it. */
  memberType: memberTypeName.optional(),
});

/** Roster reads: every enabled source that can list its population is read on this schedule (docs/design.md, decision 11). */
const RosterSchema = z.strictObject({
  /** Minutes between two complete reads of a source's roster. */
  intervalMinutes: z.number().int().min(5).max(1440).default(60),
  /** A complete roster this share smaller than the last one removes nobody, and raises an alarm (0.1: ten per cent). */
  maxShrink: z.number().gt(0).lt(1).default(0.1),
});

const configSchema = () => z
  .strictObject({
    bitwarden: BitwardenSchema.prefault({}),
    policy: PolicySchema.prefault({}),
    roster: RosterSchema.prefault({}),
    providers: providersSchema(),
    rules: z.array(RuleSchema).min(1, 'must contain at least one rule'),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.rules.forEach((rule, index) => {
      const first = seen.get(rule.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', index, 'id'], message: `duplicates the id of rules[${first}] ("${rule.id}")` });
      else seen.set(rule.id, index);
      if (rule.memberType && rule.memberType !== 'user' && !config.policy.allowedElevatedMemberTypes.includes(rule.memberType)) {
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'memberType'], message: `"${rule.memberType}" is above user: list it in policy.allowedElevatedMemberTypes to allow it` });
      }
    });
  });

export type LifecycleConfig = z.output<ReturnType<typeof configSchema>>;

let built: { revision: number; schema: ReturnType<typeof configSchema> } | null = null;
/** The schema of the config file, for the sources registered now (a source registered later is picked up). */
export function lifecycleConfigSchema(): ReturnType<typeof configSchema> {
  if (!built || built.revision !== registryRevision()) built = { revision: registryRevision(), schema: configSchema() };
  return built.schema;
}
export type Rule = LifecycleConfig['rules'][number];
export type Policy = LifecycleConfig['policy'];
