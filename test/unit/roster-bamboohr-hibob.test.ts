import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { bambooHrSource, normalizeBambooFields } from '../../lib/sources/bamboohr/bamboohr.js';
import { hiBobSource, normalizeBobPerson } from '../../lib/sources/hibob/hibob.js';
import { ProviderApiError } from '../../lib/sources/source-api.js';
import { sign } from '../support/sign.js';

/**
 * BambooHR's and HiBob's roster reads and custom attributes, without servers: what each sends to
 * its API (stubbed `fetch`) and how it maps what comes back. The emulated APIs are exercised in
 * test/integration/roster-bamboohr-hibob.test.ts.
 */
const bambooSettings = bambooHrSource.settings.parse({ attributes: { costCenter: ['customCostCenter', 'Cost Center'], level: 'customLevel' } });
const bobSettings = hiBobSource.settings.parse({ attributes: { costCenter: 'work.custom.costCenter', payGrade: 'payroll.grade' } });

interface Call {
  url: string;
  init: RequestInit;
}

/** Stubs `fetch` with these answers, in order, and records the calls. */
function answer(...responses: Array<{ status?: number; body: unknown }>): Call[] {
  const calls: Call[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (url, init) => {
    calls.push({ url: String(url), init: init ?? {} });
    const { status = 200, body } = responses.shift()!;
    return new Response(JSON.stringify(body), { status });
  });
  return calls;
}
afterEach(() => vi.restoreAllMocks());

const bambooContext = { apiUrl: 'https://api.bamboohr.com/api/gateway.php/acme', credentials: 'api-key', settings: bambooSettings };
const bobContext = { apiUrl: 'https://api.hibob.com', credentials: 'service-user:token', settings: bobSettings };

describe('custom attributes in the settings', () => {
  it('map an attribute name to BambooHR field names (alias or English name) and to a HiBob field path', () => {
    expect(bambooSettings.attributes).toEqual({ costCenter: ['customCostCenter', 'Cost Center'], level: ['customLevel'] });
    expect(bobSettings.attributes).toEqual({ costCenter: 'work.custom.costCenter', payGrade: 'payroll.grade' });
  });

  it('refuse, when the config loads, a name a worker record cannot carry and a HiBob field that is not a path', () => {
    expect(() => parseConfig('providers:\n  bamboohr:\n    attributes: { constructor: customX }\nrules:\n  - id: a\n    groups: [A]\n')).toThrow(/providers\.bamboohr\.attributes\.constructor/);
    expect(() => parseConfig('providers:\n  hibob:\n    attributes: { costCenter: costCenter }\nrules:\n  - id: a\n    groups: [A]\n')).toThrow(/providers\.hibob\.attributes\.costCenter: must be a Bob field path/);
  });
});

describe('BambooHR', () => {
  it('reads attributes from API aliases and from field-based webhooks (English names, values plain or {value})', () => {
    expect(normalizeBambooFields('7', { workEmail: 'a@example.com', status: 'Active', customCostCenter: 'CC-901', customLevel: 3 }, bambooSettings).attributes).toEqual({ costCenter: 'CC-901', level: '3' });
    const body = JSON.stringify({ employees: [{ action: 'Updated', id: 7, timestamp: '2026-01-31T18:42:00+0000', fields: { 'Work Email': 'a@example.com', Status: 'Active', 'Cost Center': { value: 'CC-902' } } }] });
    const [change] = bambooHrSource.parse({ headers: sign('bamboohr', body, 'k', 1), body: Buffer.from(body) }, bambooSettings);
    expect(change!.subject).toMatchObject({ kind: 'record', worker: { attributes: { costCenter: 'CC-902', level: null } } });
  });

  it('reads the roster as one custom report of the mapped aliases, dated by each employee’s lastChanged', async () => {
    const calls = answer(
      { body: { latest: '2026-03-02T10:00:00+00:00', employees: { '7': { id: '7', action: 'Updated', lastChanged: '2026-03-02T10:00:00+00:00' } } } },
      { body: { title: 'Bitwarden roster', fields: [], employees: [{ id: '7', workEmail: 'a@example.com', status: 'Active', customCostCenter: 'CC-901' }, { id: '8', workEmail: 'b@example.com', status: 'Inactive' }] } },
    );
    const page = await bambooHrSource.readRoster!(bambooContext, null);

    expect(calls[0]!.url).toBe('https://api.bamboohr.com/api/gateway.php/acme/v1/employees/changed?since=2011-06-01T00%3A00%3A00Z');
    expect(calls[1]!.url).toBe('https://api.bamboohr.com/api/gateway.php/acme/v1/reports/custom?format=JSON&onlyCurrent=false');
    expect(calls[1]!.init).toMatchObject({ method: 'POST', headers: { authorization: `Basic ${Buffer.from('api-key:x').toString('base64')}`, 'content-type': 'application/json' } });
    const { fields } = JSON.parse(String(calls[1]!.init.body)) as { fields: string[] };
    expect(fields).toEqual(expect.arrayContaining(['workEmail', 'status', 'employmentHistoryStatus', 'customCostCenter', 'customLevel']));
    expect(fields.some((field) => field.includes(' '))).toBe(false);

    expect(page.next).toBeNull();
    expect(page.problems).toEqual([]);
    expect(page.records).toEqual([
      { record: expect.objectContaining({ externalId: '7', status: 'active', attributes: { costCenter: 'CC-901', level: null } }), modifiedAt: '2026-03-02T10:00:00.000Z' },
      { record: expect.objectContaining({ externalId: '8', status: 'terminated' }), modifiedAt: null },
    ]);
  });

  it('reports a row it cannot map as a problem and reads the rest', async () => {
    answer({ body: { employees: {} } }, { body: { employees: [{ id: '7', workEmail: 'not an address' }, { id: '8', workEmail: 'b@example.com' }] } });
    const page = await bambooHrSource.readRoster!(bambooContext, null);
    expect(page.records.map(({ record }) => record.externalId)).toEqual(['8']);
    expect(page.problems).toEqual([{ at: 'employee 7', reason: 'workEmail: must be an e-mail address' }]);
  });

  it('fails the read with a typed error when the API refuses it', async () => {
    answer({ status: 401, body: { error: 'unauthorized' } });
    await expect(bambooHrSource.readRoster!(bambooContext, null)).rejects.toMatchObject({ name: 'ProviderApiError', status: 401, operation: 'GET bamboohr /v1/employees/changed' });
  });
});

describe('HiBob', () => {
  /** An employee as /people/search answers: the requested fields under slash keys, each `{value}`. */
  const bob = (id: string, fields: Record<string, unknown>) => ({ id, ...Object.fromEntries(Object.entries(fields).map(([path, value]) => [`/${path.replaceAll('.', '/')}`, { value }])) });

  it('maps the slash-keyed fields of a search answer, custom attributes included', () => {
    const person = bob('42', { 'root.email': 'ada@example.com', 'root.firstName': 'Ada', 'work.title': 'Engineer', 'internal.status': 'Active', 'work.custom.costCenter': 'CC-901', 'payroll.grade': 7 });
    expect(normalizeBobPerson(person, bobSettings)).toMatchObject({ externalId: '42', workEmail: 'ada@example.com', firstName: 'Ada', jobTitle: 'Engineer', status: 'active', attributes: { costCenter: 'CC-901', payGrade: '7' } });
    expect(normalizeBobPerson(bob('43', { 'internal.status': 'Inactive' }), bobSettings)).toMatchObject({ status: 'terminated', attributes: { costCenter: null, payGrade: null } });
  });

  it('reads the whole roster in one search (Bob has no paging), terminated employees included', async () => {
    const calls = answer({ body: { employees: [bob('42', { 'root.email': 'ada@example.com', 'internal.status': 'Active', 'work.custom.costCenter': 'CC-901' })] } });
    const page = await hiBobSource.readRoster!(bobContext, null);

    expect(calls[0]!.url).toBe('https://api.hibob.com/v1/people/search');
    const body = JSON.parse(String(calls[0]!.init.body)) as Record<string, unknown>;
    expect(body).toMatchObject({ showInactive: true, fields: expect.arrayContaining(['root.id', 'internal.status', 'work.custom.costCenter', 'payroll.grade']) });
    expect(body).not.toHaveProperty('filters');
    expect(page).toEqual({ records: [{ record: expect.objectContaining({ externalId: '42', attributes: { costCenter: 'CC-901', payGrade: null } }), modifiedAt: null }], next: null, problems: [] });
  });

  it('fails the read with a typed error on a rate limit', async () => {
    answer({ status: 429, body: { error: 'Too Many Requests' } });
    const failure = hiBobSource.readRoster!(bobContext, null);
    await expect(failure).rejects.toBeInstanceOf(ProviderApiError);
    await expect(failure).rejects.toMatchObject({ status: 429 });
  });
});
