import * as z from '../vocabulary/zod.js';
import { WorkerRecordSchema } from '../vocabulary/worker-record.js';

/**
 * A path into a provider's JSON record, for the custom attributes a config maps (README, "HR
 * providers"): names joined by dots, and after a name that holds a list, `[field=value]` picks its
 * first item whose `field` is `value` (exact text). `custom_fields.cost_center`,
 * `employment.custom_fields[name=Cost Center].value`. A value may hold any character but `]`.
 */
export type RecordPath = ReadonlyArray<{ name: string; where?: { field: string; value: string } }>;

const STEP = /^([^.[\]]+)(?:\[([^.[\]=]+)=([^\]]*)\])?(?:\.|$)/;

/** The steps of a path, or null when it is not one. */
export function parseRecordPath(text: string): RecordPath | null {
  const steps: Array<RecordPath[number]> = [];
  let rest = text;
  while (rest !== '') {
    const match = STEP.exec(rest);
    if (!match) return null;
    const [whole, name, field, value] = match;
    steps.push(field === undefined ? { name: name! } : { name: name!, where: { field, value: value! } });
    rest = rest.slice(whole.length);
    if (whole.endsWith('.') && rest === '') return null;
  }
  return steps.length > 0 ? steps : null;
}

const isObject = (node: unknown): node is Record<string, unknown> => typeof node === 'object' && node !== null && !Array.isArray(node);

/** One step down: an own property (never an inherited one), then, for `[field=value]`, the first matching list item. */
function step(node: unknown, { name, where }: RecordPath[number]): unknown {
  const child = isObject(node) && Object.hasOwn(node, name) ? node[name] : undefined;
  if (!where) return child;
  return Array.isArray(child) ? child.find((item) => isObject(item) && String(item[where.field]) === where.value) : undefined;
}

/** The text at `path` in `record`: a string (trimmed), or a number or flag as text; null when absent, empty or not a plain value. */
export function textAt(record: unknown, path: RecordPath): string | null {
  const value = path.reduce(step, record);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Attribute names as a worker record takes them (lib/vocabulary/worker-record.ts): checked when the config loads, not on every record. */
export function checkAttributeNames(attributes: Record<string, unknown>, ctx: z.core.$RefinementCtx) {
  const check = WorkerRecordSchema.shape.attributes.safeParse(Object.fromEntries(Object.keys(attributes).map((name) => [name, null])));
  for (const issue of check.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}

/**
 * A source's `attributes` setting: attribute name → record path, each path checked when the config
 * loads. `accepts` narrows the paths a source can read (e.g. Finch's two records); `example` shows one.
 */
export function attributePathsSetting(example: string, accepts: (path: RecordPath) => boolean = () => true) {
  const path = z.string().check(
    z.refine((text) => {
      const parsed = parseRecordPath(text);
      return parsed !== null && accepts(parsed);
    }, `must be a record path, e.g. ${example}`),
  );
  return z._default(z.record(z.string(), path).check(z.superRefine(checkAttributeNames)), {});
}

/** The mapped attributes of one record (the paths were checked when the config loaded). */
export const attributesOf = (record: unknown, paths: Readonly<Record<string, string>>): Record<string, string | null> =>
  Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, textAt(record, parseRecordPath(path) ?? [])]));
