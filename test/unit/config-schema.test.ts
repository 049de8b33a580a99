import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from '../../scripts/config-schema.js';

/** The JSON Schema editors validate cdk/config/*.yaml with: current, named by each shipped file, and agreeing with the zod schema on them. */
const shipped = ['cdk/config/lifecycle.yaml', 'cdk/config/lifecycle.prod.yaml'];
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const validate = addFormats(new Ajv({ allErrors: true })).compile(JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')) as object);

describe('the config JSON Schema', () => {
  it('is what lib/config/schema.ts generates (run `npm run schema:config` after changing the schema)', () => {
    expect(readFileSync(CONFIG_SCHEMA_FILE, 'utf8'), 'cdk/config/lifecycle.schema.json is out of date: npm run schema:config').toBe(configJsonSchemaText());
  });

  it.each(shipped)('is named by %s in its first line, for yaml-language-server', (file) => {
    const [first] = readFileSync(file, 'utf8').split('\n');
    const target = /^# yaml-language-server: \$schema=(\S+)$/.exec(first!)?.[1];
    expect(target).toBe('./lifecycle.schema.json');
    expect(existsSync(path.join(path.dirname(file), target!))).toBe(true);
  });

  it.each(shipped)('accepts %s, as the zod schema does', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(() => parseConfig(text, file)).not.toThrow();
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('flags what an editor should underline: a misspelt field, a wrong type, a value outside its list, a rule without groups', () => {
    const cases: Array<[string, string]> = [
      ['rules:\n  - id: a\n    match: { departmant: Sales }\n    groups: [A]\n', '/rules/0/match'],
      ['policy:\n  dryRun: "yes"\nrules:\n  - id: a\n    groups: [A]\n', '/policy/dryRun'],
      ['policy:\n  memberType: superuser\nrules:\n  - id: a\n    groups: [A]\n', '/policy/memberType'],
      ['rules:\n  - id: a\n    groups: []\n', '/rules/0/groups'],
    ];
    for (const [text, where] of cases) {
      expect(validate(parse(text)), text).toBe(false);
      expect(validate.errors!.map((error) => error.instancePath), text).toContain(where);
      // The zod schema (what cdk synth, npm start and the Lambdas run) refuses the same file.
      expect(() => parseConfig(text), text).toThrow();
    }
  });
});
