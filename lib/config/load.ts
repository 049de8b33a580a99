import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type * as z from '../vocabulary/zod.js';
import { formatPath } from '../vocabulary/field-path.js';
import type { LifecycleConfig } from './schema.js';
import { ConfigError } from './errors.js';
import { issueDetail, validateConfig } from './validate.js';

/** Parses and validates YAML text; `source` names it in errors (a path, or "<inline>"). */
export function parseConfig(text: string, source = '<inline>'): LifecycleConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(source, document.errors.map((error) => error.message.split('\n')[0] ?? error.message));
  }
  return validateConfig(document.toJS(), source, (issue) => describeIssue(issue, document, lineCounter));
}

function describeIssue(issue: z.core.$ZodIssue, document: ReturnType<typeof parseDocument>, lineCounter: LineCounter): string {
  const path = formatPath(issue.path);
  const line = lineOf(document, lineCounter, issue.path);
  const where = [line ? `line ${line}` : undefined, path || '(top level)'].filter(Boolean).join(', ');
  return `${where}: ${issueDetail(issue)}`;
}

/** The line of the deepest node of `path` that exists in the file (a missing field points at its parent). */
function lineOf(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

export function loadConfigFile(path: string): LifecycleConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  return parseConfig(text, path);
}
