import { z } from 'zod';

/**
 * The one worker record every provider normalizes to (docs/reference/hris-webhooks.md §5, `data.worker`).
 * `decide` only ever sees this shape, so it never knows which HR system spoke.
 */
export const calendarDateOrInstant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'must be a calendar date (YYYY-MM-DD) or an RFC 3339 instant',
  );

const optionalText = z.string().trim().min(1).nullish().transform((value) => value ?? null);
const optionalDate = calendarDateOrInstant.nullish().transform((value) => value ?? null);

export const employmentTypes = ['employee', 'contractor', 'intern', 'temporary', 'other'] as const;
export const workerStatuses = ['pending', 'active', 'on_leave', 'terminated'] as const;

export const WorkerRecordSchema = z.object({
  externalId: z.string().trim().min(1, 'is required: the stable HR worker id').max(300),
  workEmail: z.email('must be an e-mail address').max(256).nullish().transform((value) => value?.toLowerCase() ?? null),
  personalEmail: z.string().nullish().transform((value) => value ?? null),
  firstName: optionalText,
  lastName: optionalText,
  displayName: optionalText,
  jobTitle: optionalText,
  department: optionalText,
  team: optionalText,
  managerWorkEmail: optionalText,
  location: optionalText,
  employmentType: z.enum(employmentTypes).nullish().transform((value) => value ?? 'employee'),
  status: z.enum(workerStatuses),
  startDate: optionalDate,
  endDate: optionalDate,
  terminationDate: optionalDate,
  /** Custom attributes a provider maps (e.g. costCenter), matchable by rules under `match.attributes`. */
  attributes: z.record(z.string().min(1), z.string().nullable()).nullish().transform((value) => value ?? {}),
});

export type WorkerRecord = z.output<typeof WorkerRecordSchema>;

/** Attributes a rule can match on. */
export const matchableAttributes = ['department', 'jobTitle', 'team', 'location', 'employmentType'] as const;
export type MatchableAttribute = (typeof matchableAttributes)[number];
