import * as z from '../vocabulary/zod.js';
import { registryRevision, sourceSettings } from '../sources/connected-sources.js';
import type { SourceSettings } from '../sources/source.js';
import { memberTypeNames, type MemberTypeName } from '../vocabulary/bitwarden.js';
import { isValidTimeZone } from '../vocabulary/time-zones.js';
import { matchableAttributes } from '../vocabulary/worker-record.js';

/**
 * The schema of `cdk/config/lifecycle.yaml`. It runs at `cdk synth`, in the local runtime and the CLI;
 * the Lambdas get the config synth validated, sealed (lib/config/shipped.ts), so a file that synthesizes is a file that runs.
 */

const bitwardenRegions = {
  us: { apiUrl: 'https://api.bitwarden.com', identityUrl: 'https://identity.bitwarden.com' },
  eu: { apiUrl: 'https://api.bitwarden.eu', identityUrl: 'https://identity.bitwarden.eu' },
} as const;

const BitwardenSchema = z.pipe(
  z
    .strictObject({
      /** `us` and `eu` are Bitwarden's clouds; `self-hosted` needs both URLs. */
      region: z._default(z.enum(['us', 'eu', 'self-hosted']), 'us'),
      apiUrl: z.optional(z.url()),
      identityUrl: z.optional(z.url()),
      /** Servers before v2026.2.0 cannot revoke: `fail` (default) stops with an error that says so; `remove` deletes leavers instead. */
      onRevokeUnsupported: z._default(z.enum(['fail', 'remove']), 'fail'),
      /** A group the rules name that Bitwarden lacks: created (true) or reported before any member is touched (false, default). */
      createMissingGroups: z._default(z.boolean(), false),
    })
    .check(
      z.superRefine((value, ctx) => {
        if (value.region !== 'self-hosted') return;
        for (const key of ['apiUrl', 'identityUrl'] as const) {
          if (!value[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required when region is self-hosted (e.g. https://vault.example.com/${key === 'apiUrl' ? 'api' : 'identity'})` });
        }
      }),
    ),
  z.transform((value) => {
    const defaults = value.region === 'self-hosted' ? undefined : bitwardenRegions[value.region];
    return {
      region: value.region,
      onRevokeUnsupported: value.onRevokeUnsupported,
      createMissingGroups: value.createMissingGroups,
      apiUrl: (value.apiUrl ?? defaults?.apiUrl ?? '').replace(/\/+$/, ''),
      identityUrl: (value.identityUrl ?? defaults?.identityUrl ?? '').replace(/\/+$/, ''),
    };
  }),
);

const memberTypeName = z.enum(memberTypeNames as [MemberTypeName, ...MemberTypeName[]]);
const wholeNumber = (...checks: Array<z.core.$ZodCheck<number>>) => z.number().check(z.int(), ...checks);

const PolicySchema = z.strictObject({
  /** Compute, log and audit plans without calling Bitwarden. */
  dryRun: z._default(z.boolean(), false),
  /** The member type of workers no rule gives one. */
  memberType: z._default(memberTypeName, 'user'),
  /** Member types above `user` that rules may grant: each must be listed here, or synth fails. */
  allowedElevatedMemberTypes: z._default(z.array(z.enum(['admin', 'owner', 'custom'])), []),
  /** The daily reconciliation reports drift (`report`) or also corrects it through the worker (`apply`). */
  reconcile: z._default(z.enum(['report', 'apply']), 'report'),
  /** An invitation not accepted after this many days is reported as drift. */
  inviteAcceptanceDays: z._default(wholeNumber(z.gte(1)), 14),
  /** Audit records are kept this long (DynamoDB TTL). */
  auditRetentionDays: z._default(wholeNumber(z.gte(30)), 400),
  /** The HR system deleted the worker's record (or its API answers 404): `revoke` (default) or `keep` the member as it is. */
  onWorkerRemoved: z._default(z.enum(['revoke', 'keep']), 'revoke'),
  /** The zone calendar dates are days in (IANA name). */
  timeZone: z._default(z.string().check(z.refine(isValidTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin or America/New_York')), 'UTC'),
  /** Invite a future hire this many days before the start date; unset: at once. */
  inviteDaysBeforeStart: z._default(z.nullable(wholeNumber(z.gte(0), z.lte(365))), null),
  /** A termination recorded ahead of time takes effect at the end of its date (default) or at its start. */
  terminationTakesEffect: z._default(z.enum(['end-of-day', 'start-of-day']), 'end-of-day'),
  /** A worker on leave keeps access (default) or is revoked until the leave ends. */
  onLeave: z._default(z.enum(['keep', 'revoke']), 'keep'),
  /** Remove revoked members this many days after their revocation; unset: never (a revoked member can be restored). */
  removeRevokedAfterDays: z._default(z.nullable(wholeNumber(z.gte(1))), null),
  /** Holds revocations beyond a limit per sliding window until an admin approves them. */
  massRevocationGuard: z.prefault(
    z.nullable(
      z.strictObject({
        windowMinutes: z._default(wholeNumber(z.gte(1)), 60),
        maxRevocations: z._default(wholeNumber(z.gte(1)), 25),
        /** Also hold once this share of the organization's members would be revoked in the window. */
        maxShareOfOrganization: z._default(z.nullable(z.number().check(z.gt(0), z.lte(1))), 0.1),
        /** Held changes go through when an admin approves them (`admin`, default), or also by themselves once the window has room again (`rate`). */
        release: z._default(z.enum(['admin', 'rate']), 'admin'),
      }),
    ),
    {},
  ),
});

/** `providers`: one entry per registered source, each validated by the source's own settings schema. */
function providersSchema() {
  const entries = Object.fromEntries(sourceSettings().map(([name, settings]) => [name, z.optional(settings)]));
  return z._default(z.strictObject(entries), { generic: { enabled: true } }) as unknown as z.ZodMiniType<Record<string, SourceSettings | undefined>>;
}

const nonEmptyName = z.string().check(z.trim(), z.minLength(1, 'must not be empty'));
const matchValue = z.union([nonEmptyName, z.array(nonEmptyName).check(z.minLength(1, 'must list at least one value'))]);

const RuleSchema = z.strictObject({
  id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-_.]*$/i, 'must be letters, digits, "-", "_" or "." (it names the rule in audits)')),
  description: z.optional(z.string()),
  /** Every listed attribute must match (AND); a list means any of its values (OR); `*` globs. Empty = everyone. */
  match: z._default(
    z.strictObject({
      ...(Object.fromEntries(matchableAttributes.map((name) => [name, z.optional(matchValue)])) as Record<(typeof matchableAttributes)[number], z.ZodMiniOptional<typeof matchValue>>),
      /** Custom attributes a provider maps, by name. */
      attributes: z.optional(z.record(z.string().check(z.minLength(1)), matchValue)),
      /** Any of the groups an identity provider pushed (lib/scim/) matches. */
      groups: z.optional(matchValue),
    }),
    {},
  ),
  groups: z.array(nonEmptyName.check(z.maxLength(100, 'must be at most 100 characters (Bitwarden group name limit)'))).check(z.minLength(1, 'must name at least one Bitwarden group')),
  /** The member type this rule grants; above `user` only if policy.allowedElevatedMemberTypes lists it. */
  memberType: z.optional(memberTypeName),
});

/** Roster reads: every enabled source that can list its population is read on this schedule (docs/design.md, decision 11). */
const RosterSchema = z.strictObject({
  /** Minutes between two complete reads of a source's roster. */
  intervalMinutes: z._default(wholeNumber(z.gte(5), z.lte(1440)), 60),
  /** A complete roster this share smaller than the last one removes nobody, and raises an alarm (0.1: ten per cent). */
  maxShrink: z._default(z.number().check(z.gt(0), z.lt(1)), 0.1),
});

/** The identity providers that may push users and groups over SCIM (lib/scim/), each a source of its own name. */
export const identityProviderNames = ['okta', 'entra', 'onelogin', 'jumpcloud', 'ping'] as const;
export type IdentityProviderName = (typeof identityProviderNames)[number];

/** The SCIM endpoint (README, "Identity providers (SCIM)"): who may push, and how fast each key may call. */
const ScimSchema = z.strictObject({
  /** Each listed provider's keys are read from `<NAME>_SCIM_KEYS` (or the Secrets Manager secret in `<NAME>_SCIM_KEYS_ARN`). */
  identityProviders: z._default(z.array(z.enum(identityProviderNames)), []),
  /** Each key's budget; a key over it is answered 429 with Retry-After, which the providers honour. */
  requestsPerMinute: z._default(wholeNumber(z.gte(60), z.lte(60_000)), 1200),
});

/** A Secrets Manager secret's complete ARN (the one the console shows, with its six-character suffix). */
const secretArn = z.string().check(z.regex(/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/, 'must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)'));

/** Who is told what needs people (docs/runbook.md, "Notifications"): by e-mail through the stack's SNS topic, and in Slack or Teams. */
const NotificationsSchema = z.strictObject({
  /** Each address is subscribed to the topic (it must confirm the subscription once). */
  email: z._default(z.array(z.email('must be an e-mail address')), []),
  /** The Secrets Manager secret holding a Slack incoming-webhook URL. */
  slack: z.optional(secretArn),
  /** The Secrets Manager secret holding a Microsoft Teams incoming-webhook (Workflows) URL. */
  teams: z.optional(secretArn),
  /** Invitations still not accepted this many days after they were sent are told each day (by the reconciliation). */
  inviteReminderDays: z._default(wholeNumber(z.gte(1), z.lte(365)), 7),
});

const configSchema = () =>
  z
    .strictObject({
      bitwarden: z.prefault(BitwardenSchema, {}),
      policy: z.prefault(PolicySchema, {}),
      roster: z.prefault(RosterSchema, {}),
      scim: z.prefault(ScimSchema, {}),
      notifications: z.prefault(NotificationsSchema, {}),
      providers: providersSchema(),
      rules: z.array(RuleSchema).check(z.minLength(1, 'must contain at least one rule')),
    })
    .check(
      z.superRefine((config, ctx) => {
        const seen = new Map<string, number>();
        config.rules.forEach((rule, index) => {
          const first = seen.get(rule.id);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', index, 'id'], message: `duplicates the id of rules[${first}] ("${rule.id}")` });
          else seen.set(rule.id, index);
          if (rule.memberType && rule.memberType !== 'user' && !config.policy.allowedElevatedMemberTypes.includes(rule.memberType)) {
            ctx.addIssue({ code: 'custom', path: ['rules', index, 'memberType'], message: `"${rule.memberType}" is above user: list it in policy.allowedElevatedMemberTypes to allow it` });
          }
        });
      }),
    );

export type LifecycleConfig = z.output<ReturnType<typeof configSchema>>;

let built: { revision: number; schema: ReturnType<typeof configSchema> } | null = null;
/** The schema of the config file, for the sources registered now (a source registered later is picked up). */
export function lifecycleConfigSchema(): ReturnType<typeof configSchema> {
  if (!built || built.revision !== registryRevision()) built = { revision: registryRevision(), schema: configSchema() };
  return built.schema;
}
export type Rule = LifecycleConfig['rules'][number];
export type Policy = LifecycleConfig['policy'];
