import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Exchange } from '../../lib/local/bitwarden/emulator.js';

/**
 * Checks recorded exchanges against Bitwarden's Public API document (derived from the server
 * source, copied from the shared reference): the client's requests must match the request
 * schemas, and the emulator's answers must use a documented status with a body of the documented
 * schema, or no body where the document has none. The client and the emulator are each held to
 * the contract, so they cannot drift away from it together.
 */

type Schema = Record<string, unknown>;
interface Operation {
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

const document = JSON.parse(readFileSync('test/fixtures/public-api.derived.openapi.json', 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

/** OpenAPI 3.0 `nullable: true` → JSON Schema `anyOf [..., null]`; local refs → the registered components. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, example: _example, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' ? value.replace('#/components/', 'components#/') : toJsonSchema(value)]),
  );
  return nullable ? { anyOf: [converted, { type: 'null' }] } : converted;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'components', schemas: toJsonSchema(document.components.schemas) } as Schema);

const operations = Object.entries(document.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase(),
    template,
    matcher: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    operation,
  })),
);
const compiled = new Map<Schema, ValidateFunction>();
const validator = (schema: Schema) => {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(toJsonSchema(schema) as Schema)));
  return validate;
};
const errorsOf = (validate: ValidateFunction) => ajv.errorsText(validate.errors, { dataVar: 'body' });

/** Answers docs/reference/bitwarden-public-api.md documents that the derived OpenAPI file leaves out. */
function documentedElsewhere(exchange: Exchange, template: string): boolean {
  const message = (exchange.response as { message?: string } | undefined)?.message;
  // §4: a path id that is not a GUID is a model-state error under key "id".
  if (exchange.status === 400 && template.includes('{id}') && (exchange.response as { errors?: Record<string, unknown> })?.errors?.id) return true;
  // §4 and §15: a 404 raised below the controller (unknown group or collection on PUT) carries a body.
  return exchange.status === 404 && message === 'Resource not found.';
}

/**
 * `checkRequests: false` for tests that send malformed requests on purpose (the emulator's own
 * tests); the product's client is always held to the request schemas.
 */
export function contractViolations(exchanges: readonly Exchange[], { checkRequests = true } = {}): string[] {
  const violations: string[] = [];
  for (const exchange of exchanges) {
    // Token requests are the identity server's (not in this document); dropped connections have no answer.
    if (exchange.route === '/connect/token' || exchange.status === 0) continue;
    const where = `${exchange.method} ${exchange.route} → ${exchange.status}`;
    const match = operations.find((candidate) => candidate.method === exchange.method && candidate.matcher.test(exchange.path));
    if (!match) {
      if (exchange.status !== 404) violations.push(`${where}: no such operation in the document`);
      continue;
    }
    const requestSchema = match.operation.requestBody?.content['application/json']?.schema;
    if (checkRequests && requestSchema && exchange.status !== 415 && exchange.body !== undefined) {
      const validate = validator(requestSchema);
      if (!validate(exchange.body)) violations.push(`${where}: request ${errorsOf(validate)}`);
    }
    if (exchange.status >= 500 || documentedElsewhere(exchange, match.template)) {
      const validate = validator({ $ref: '#/components/schemas/ErrorResponseModel' });
      if (!validate(exchange.response)) violations.push(`${where}: 5xx body ${errorsOf(validate)}`);
      continue;
    }
    const response = match.operation.responses[String(exchange.status)];
    if (!response) {
      if (exchange.status !== 415) violations.push(`${where}: status not documented for ${match.method} ${match.template}`);
      continue;
    }
    const responseSchema = response.content?.['application/json']?.schema;
    if (!responseSchema) {
      if (exchange.response !== undefined) violations.push(`${where}: the document has no body here, the answer had one`);
      continue;
    }
    const validate = validator(responseSchema);
    if (!validate(exchange.response)) violations.push(`${where}: response ${errorsOf(validate)}`);
  }
  return violations;
}
