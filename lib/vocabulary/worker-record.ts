import * as z from './zod.js';
import { isOpenEnded, readRecordDate } from './dates.js';

/**
 * The one worker record every provider normalizes to (docs/reference/hris-webhooks.md §5, `data.worker`).
 * `decide` only ever sees this shape, so it never knows which HR system spoke.
 *
 * Every text is capped (README, "The generic webhook format"): HR values are short, and a record
 * travels in SQS messages, DynamoDB items, logs and audits, where an unbounded one costs everywhere.
 */
const TEXT_MAX = 256;
/** The worker key is the SQS FIFO MessageGroupId, which takes at most 128 characters. */
const EXTERNAL_ID_MAX = 128;
const ATTRIBUTE_NAME_MAX = 64;
const ATTRIBUTES_MAX = 50;
/** Groups an identity provider may push one worker into; more would bloat every message and state item. */
const GROUPS_MAX = 100;
/** Longer than any form of a date; checked before Temporal reads the text. */
const DATE_TEXT_MAX = 64;
const atMost = (max: number) => `must be at most ${max} characters`;

export const calendarDateOrInstant = z
  .string()
  .check(
    z.maxLength(DATE_TEXT_MAX, atMost(DATE_TEXT_MAX)),
    z.refine((text) => readRecordDate(text) !== null, 'must be a real calendar date (YYYY-MM-DD) or an RFC 3339 instant'),
  );

/** Absent (undefined or null) becomes null. */
const orNull = <S extends z.ZodMiniType>(schema: S) => z.pipe(z.nullish(schema), z.transform((value: z.output<S> | null | undefined) => value ?? null));

const optionalText = orNull(z.string().check(z.trim(), z.minLength(1), z.maxLength(TEXT_MAX, atMost(TEXT_MAX))));
const optionalDate = orNull(calendarDateOrInstant);
/** An end or termination written as a far-future "open-ended" marker is none (lib/vocabulary/dates.ts, OPEN_ENDED_FROM_YEAR). */
const optionalEnd = z.pipe(z.nullish(calendarDateOrInstant), z.transform((value) => (value && !isOpenEnded(value) ? value : null)));

/**
 * Names every object inherits: as attribute names they would read (or, for `__proto__`, replace) the
 * object's prototype instead of a value. Refused rather than stored.
 */
const inheritedNames = new Set(['__proto__', 'constructor', 'prototype']);

function attributeNameProblem(name: string): string | null {
  if (name === '') return 'must not be empty';
  if (name.length > ATTRIBUTE_NAME_MAX) return atMost(ATTRIBUTE_NAME_MAX);
  return inheritedNames.has(name) ? 'is a reserved name' : null;
}

/**
 * Custom attributes, their names checked on the object as sent: zod's record silently drops a
 * `__proto__` key, which JSON.parse makes an ordinary own key.
 */
const attributes = z.pipe(
  z
    .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be an object of names and values')
    .check(
      z.superRefine((input, ctx) => {
        const names = Object.keys(input);
        if (names.length > ATTRIBUTES_MAX) return ctx.addIssue({ code: 'custom', message: `must have at most ${ATTRIBUTES_MAX} attributes` });
        for (const name of names) {
          const problem = attributeNameProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
        }
      }),
    ),
  z.record(z.string(), z.nullable(z.string().check(z.maxLength(TEXT_MAX, atMost(TEXT_MAX))))),
);

export const employmentTypes = ['employee', 'contractor', 'intern', 'temporary', 'other'] as const;
export const workerStatuses = ['pending', 'active', 'on_leave', 'terminated'] as const;

export const WorkerRecordSchema = z.object({
  externalId: z.string().check(z.trim(), z.minLength(1, 'is required: the stable HR worker id'), z.maxLength(EXTERNAL_ID_MAX, atMost(EXTERNAL_ID_MAX))),
  workEmail: z.pipe(z.nullish(z.email('must be an e-mail address').check(z.maxLength(TEXT_MAX, atMost(TEXT_MAX)))), z.transform((value) => value?.toLowerCase() ?? null)),
  personalEmail: orNull(z.string().check(z.maxLength(TEXT_MAX, atMost(TEXT_MAX)))),
  firstName: optionalText,
  lastName: optionalText,
  displayName: optionalText,
  jobTitle: optionalText,
  department: optionalText,
  team: optionalText,
  managerWorkEmail: optionalText,
  location: optionalText,
  employmentType: z.pipe(z.nullish(z.enum(employmentTypes)), z.transform((value) => value ?? 'employee')),
  status: z.enum(workerStatuses),
  startDate: optionalDate,
  endDate: optionalEnd,
  terminationDate: optionalEnd,
  /** Custom attributes a provider maps (e.g. costCenter), matchable by rules under `match.attributes`. */
  attributes: z.pipe(z.nullish(attributes), z.transform((value) => value ?? {})),
  /**
   * The groups an identity provider pushed the worker into (lib/scim/), by name: rules match them
   * under `match.groups`; they never become Bitwarden memberships by themselves. Absent for HR sources.
   */
  groups: z.optional(z.array(z.string().check(z.maxLength(TEXT_MAX, atMost(TEXT_MAX)))).check(z.maxLength(GROUPS_MAX, `must list at most ${GROUPS_MAX} groups`))),
});

export type WorkerRecord = z.output<typeof WorkerRecordSchema>;

/** Attributes a rule can match on. */
export const matchableAttributes = ['department', 'jobTitle', 'team', 'location', 'employmentType'] as const;
export type MatchableAttribute = (typeof matchableAttributes)[number];
