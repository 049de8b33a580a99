import { badRequest, type ScimType } from './errors.js';

/**
 * SCIM filters (RFC 7644 §3.4.2.2): parsed into a tree, then evaluated against a resource.
 * Attribute names and operators are case-insensitive; string comparisons ignore case unless the
 * attribute is case-exact (`id`, `externalId`). Besides the RFC's grammar it takes a sub-attribute
 * after a value filter, `emails[type eq "work"].value eq "x"`, which Microsoft Entra ID sends.
 */

export type Comparison = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';
export type Literal = string | number | boolean | null;

/** `name.sub`, or `name[filter].sub`; `urn` is a schema URN prefix (RFC 7644 §3.10). */
export interface AttributePath {
  urn: string | null;
  name: string;
  filter: Filter | null;
  sub: string | null;
}

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'present'; path: AttributePath }
  | { kind: 'compare'; path: AttributePath; op: Comparison; value: Literal };

const comparisons = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);
const MAX_FILTER_LENGTH = 2048;

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: 'punct'; text: '(' | ')' | '[' | ']' };

function tokenize(input: string, scimType: ScimType): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < input.length) {
    const char = input[at]!;
    if (/\s/.test(char)) {
      at++;
    } else if (char === '(' || char === ')' || char === '[' || char === ']') {
      tokens.push({ kind: 'punct', text: char });
      at++;
    } else if (char === '"') {
      // A JSON string: the escapes JSON allows, nothing else.
      let end = at + 1;
      while (end < input.length && input[end] !== '"') end += input[end] === '\\' ? 2 : 1;
      if (end >= input.length) throw badRequest(scimType, `unterminated string at character ${at + 1} of ${JSON.stringify(input)}`);
      try {
        tokens.push({ kind: 'string', text: JSON.parse(input.slice(at, end + 1)) as string });
      } catch {
        throw badRequest(scimType, `malformed string at character ${at + 1} of ${JSON.stringify(input)}`);
      }
      at = end + 1;
    } else {
      let end = at;
      while (end < input.length && !/[\s()[\]"]/.test(input[end]!)) end++;
      tokens.push({ kind: 'word', text: input.slice(at, end) });
      at = end;
    }
  }
  return tokens;
}

const ATTRIBUTE_NAME = /^[A-Za-z$][\w$-]*$/;

/** `name`, `name.sub` or `urn:…:name.sub` as written in a filter or a PATCH path. */
function splitName(text: string, scimType: ScimType): { urn: string | null; name: string; sub: string | null } {
  const colon = text.lastIndexOf(':');
  const urn = colon >= 0 ? text.slice(0, colon) : null;
  const [name = '', sub, ...rest] = text.slice(colon + 1).split('.');
  if (!ATTRIBUTE_NAME.test(name) || (sub !== undefined && !ATTRIBUTE_NAME.test(sub)) || rest.length > 0) throw badRequest(scimType, `"${text}" is not an attribute path`);
  return { urn, name, sub: sub ?? null };
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
    private readonly scimType: ScimType,
  ) {}

  private fail(message: string): never {
    throw badRequest(this.scimType, `${message} in ${JSON.stringify(this.source)}`);
  }
  private peekWord(): string | null {
    const token = this.tokens[this.at];
    return token?.kind === 'word' ? token.text.toLowerCase() : null;
  }
  private expectPunct(text: string): void {
    const token = this.tokens[this.at];
    if (token?.kind !== 'punct' || token.text !== text) this.fail(`expected "${text}"`);
    this.at++;
  }
  done(): boolean {
    return this.at >= this.tokens.length;
  }
  peekPunct(text: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'punct' && token.text === text;
  }

  or(): Filter {
    let left = this.and();
    while (this.peekWord() === 'or') {
      this.at++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Filter {
    let left = this.unary();
    while (this.peekWord() === 'and') {
      this.at++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): Filter {
    if (this.peekWord() === 'not' && this.tokens[this.at + 1]?.kind === 'punct') {
      this.at++;
      this.expectPunct('(');
      const filter = this.or();
      this.expectPunct(')');
      return { kind: 'not', filter };
    }
    if (this.peekPunct('(')) {
      this.at++;
      const filter = this.or();
      this.expectPunct(')');
      return filter;
    }
    return this.expression();
  }

  /** An attribute path: a name, optionally `[filter]` and `.sub` after it. */
  path(): AttributePath {
    const token = this.tokens[this.at];
    if (token?.kind !== 'word') this.fail('expected an attribute name');
    this.at++;
    const { urn, name, sub } = splitName(token.text, this.scimType);
    if (!this.peekPunct('[')) return { urn, name, filter: null, sub };
    if (sub !== null) this.fail(`"${token.text}" cannot take a value filter`);
    this.at++;
    const filter = this.or();
    this.expectPunct(']');
    let after: string | null = null;
    const next = this.tokens[this.at];
    if (next?.kind === 'word' && next.text.startsWith('.')) {
      after = next.text.slice(1);
      if (!ATTRIBUTE_NAME.test(after)) this.fail(`"${next.text}" is not a sub-attribute`);
      this.at++;
    }
    return { urn, name, filter, sub: after };
  }

  private expression(): Filter {
    const path = this.path();
    // `members[value eq "x"]` alone is a complete filter (a value path): some element matches.
    if (path.filter && path.sub === null && (this.done() || this.peekPunct(')') || this.peekPunct(']') || this.peekWord() === 'and' || this.peekWord() === 'or')) {
      return { kind: 'present', path };
    }
    const op = this.peekWord();
    if (op === null || (op !== 'pr' && !comparisons.has(op))) this.fail(`expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) after ${path.name}`);
    this.at++;
    if (op === 'pr') return { kind: 'present', path };
    const token = this.tokens[this.at];
    if (!token || token.kind === 'punct') this.fail(`expected a value after ${op}`);
    this.at++;
    return { kind: 'compare', path, op: op as Comparison, value: token.kind === 'string' ? token.text : literal(token.text) };
  }
}

function literal(text: string): Literal {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
  throw badRequest('invalidFilter', `${text} is not a value: strings are quoted ("…"), or true, false, null, a number`);
}

/** A filter as the `filter` query parameter carries it; a 400 `invalidFilter` names what is wrong. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw badRequest('invalidFilter', `the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(tokenize(text, 'invalidFilter'), text, 'invalidFilter');
  const filter = parser.or();
  if (!parser.done()) throw badRequest('invalidFilter', `unexpected text after the filter in ${JSON.stringify(text)}`);
  return filter;
}

/** A PATCH `path` (RFC 7644 §3.5.2): an attribute path with an optional value filter; 400 `invalidPath`. */
export function parsePath(text: string): AttributePath {
  const parser = new Parser(tokenize(text, 'invalidPath'), text, 'invalidPath');
  const path = parser.path();
  if (!parser.done()) throw badRequest('invalidPath', `unexpected text after the path in ${JSON.stringify(text)}`);
  return path;
}

/** Own keys only, ignoring case: a `__proto__` or `constructor` in a filter reads nothing. */
export function member(object: unknown, name: string): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (object as Record<string, unknown>)[key];
}

/** Names compared exactly (RFC 7643: `id` and `externalId` are case-exact). */
const caseExact = new Set(['id', 'externalid']);

function compare(actual: unknown, op: Comparison, expected: Literal, exact: boolean): boolean {
  if (actual === undefined || actual === null) return op === 'ne' ? expected !== null : false;
  if (typeof actual === 'string' && typeof expected === 'string') {
    const [a, e] = exact ? [actual, expected] : [actual.toLowerCase(), expected.toLowerCase()];
    switch (op) {
      case 'eq':
        return a === e;
      case 'ne':
        return a !== e;
      case 'co':
        return a.includes(e);
      case 'sw':
        return a.startsWith(e);
      case 'ew':
        return a.endsWith(e);
      case 'gt':
        return a > e;
      case 'lt':
        return a < e;
      case 'ge':
        return a >= e;
      case 'le':
        return a <= e;
    }
  }
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  if (typeof actual === 'number' && typeof expected === 'number') return op === 'gt' ? actual > expected : op === 'lt' ? actual < expected : op === 'ge' ? actual >= expected : op === 'le' ? actual <= expected : false;
  return false;
}

/** The values a path names in a resource, flattened over multi-valued attributes and their value filters. */
function valuesAt(resource: unknown, path: AttributePath): unknown[] {
  const container = path.urn ? member(resource, path.urn) : resource;
  let values = ([] as unknown[]).concat(member(container, path.name) ?? []);
  if (path.filter) values = values.filter((element) => matches(element, path.filter!));
  if (path.sub !== null) values = values.flatMap((element) => ([] as unknown[]).concat(member(element, path.sub!) ?? []));
  return values.filter((value) => value !== undefined && value !== null);
}

/** Whether a resource (or an element of a multi-valued attribute) satisfies a filter. */
export function matches(resource: unknown, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(resource, filter.left) && matches(resource, filter.right);
    case 'or':
      return matches(resource, filter.left) || matches(resource, filter.right);
    case 'not':
      return !matches(resource, filter.filter);
    case 'present':
      return valuesAt(resource, filter.path).some((value) => value !== '' && !(Array.isArray(value) && value.length === 0));
    case 'compare': {
      const values = valuesAt(resource, filter.path);
      const exact = caseExact.has((filter.path.sub ?? filter.path.name).toLowerCase()) && filter.path.sub === null;
      // A multi-valued attribute matches when any of its values does (RFC 7644 §3.4.2.2); `value` of a complex one is compared.
      const comparable = values.map((value) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? member(value, 'value') : value));
      if (filter.op === 'ne') return comparable.length === 0 ? filter.value !== null : comparable.every((value) => compare(value, 'ne', filter.value, exact));
      return comparable.some((value) => compare(value, filter.op, filter.value, exact));
    }
  }
}
