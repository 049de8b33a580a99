import { readFileSync } from 'node:fs';
import type { WebhookRequest } from '../../lib/sources/source.js';
import type { Scheme } from './sign.js';

/** The signed reference deliveries (copied byte for byte from the shared reference; see .gitattributes). */
const root = 'test/fixtures/hris';

export interface Fixture {
  file: string;
  headers: string;
  provider: 'generic' | 'bamboohr' | 'hibob' | 'merge' | 'finch';
  scheme: Scheme;
  secretRef: Scheme;
  event: string;
  verifyAtUnix: number;
  expect: { hint: string; needsFetch: boolean; externalId?: string; externalIdOfEmployee?: string } & Record<string, unknown>;
}

export const manifest = JSON.parse(readFileSync(`${root}/manifest.json`, 'utf8')) as { secrets: Record<Scheme, string>; fixtures: Fixture[] };

export function loadFixture(fixture: Fixture): WebhookRequest & { text: string; rawHeaders: Record<string, string> } {
  const rawHeaders = JSON.parse(readFileSync(`${root}/${fixture.headers}`, 'utf8')) as Record<string, string>;
  const body = readFileSync(`${root}/${fixture.file}`);
  return { headers: Object.fromEntries(Object.entries(rawHeaders).map(([name, value]) => [name.toLowerCase(), value])), body, text: body.toString('utf8'), rawHeaders };
}

/** A config that enables every provider. */
export const allProvidersConfig = `
providers:
  generic: {}
  bamboohr:
    apiUrl: https://api.bamboohr.com/api/gateway.php/acme
  hibob: {}
  merge: {}
  finch: {}
rules:
  - id: everyone
    groups: [All Staff]
  - id: engineering
    match: { department: Engineering }
    groups: [Engineering]
  - id: contractors
    match: { employmentType: contractor }
    groups: [Contractors]
`;
