/**
 * `npm run schema:config`: writes cdk/config/lifecycle.schema.json, the JSON Schema of the config
 * file generated from its zod schema (lib/config/schema.ts), which the YAML files name in their
 * first line so that editors (VS Code with the YAML extension, JetBrains IDEs, anything on
 * yaml-language-server) complete fields and flag mistakes as they are typed. The schema is the
 * input side (defaults make fields optional); what JSON Schema cannot say (an IANA zone, duplicate
 * rule ids, elevated types the policy allows) is still checked by `npx lifecycle rules validate`.
 * test/unit/config-schema.test.ts fails when the committed file is not what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lifecycleConfigSchema } from '../lib/config/schema.js';
import '../lib/sources/registry.js';
import * as z from '../lib/vocabulary/zod.js';

export const CONFIG_SCHEMA_FILE = 'cdk/config/lifecycle.schema.json';

/** The schema as committed: draft-07, which every editor's YAML support reads, and the file's text. */
export function configJsonSchemaText(): string {
  const generated = z.toJSONSchema(lifecycleConfigSchema(), { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  const schema = {
    $schema,
    title: 'HR → Bitwarden lifecycle configuration',
    description: 'cdk/config/lifecycle.yaml and lifecycle.prod.yaml. Generated from lib/config/schema.ts by `npm run schema:config`: do not edit. `npx lifecycle rules validate` checks what a JSON Schema cannot.',
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIG_SCHEMA_FILE, configJsonSchemaText());
  console.log(`wrote ${CONFIG_SCHEMA_FILE}`);
}
