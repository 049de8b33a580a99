import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { finchSource } from '../../lib/sources/finch/finch.js';
import { mergeSource, readMergeChanges } from '../../lib/sources/merge/merge.js';
import { parseRecordPath, textAt } from '../../lib/sources/record-path.js';
import { ProviderApiError } from '../../lib/sources/source-api.js';

/**
 * Merge's and Finch's roster reads and custom attributes, without servers: what each sends to its
 * API (stubbed `fetch`) and how it maps what comes back. The emulated APIs are exercised in
 * test/integration/roster-merge-finch.test.ts.
 */
const mergeSettings = mergeSource.settings.parse({ attributes: { costCenter: 'custom_fields.cost_center' } });
const finchSettings = finchSource.settings.parse({ attributes: { costCenter: 'employment.custom_fields[name=Cost Center].value', nickname: 'individual.preferred_name' } });
const mergeContext = { apiUrl: 'https://api.merge.dev', credentials: 'api-key:account-token', settings: mergeSettings };
const finchContext = { apiUrl: 'https://api.tryfinch.com', credentials: 'access-token', settings: finchSettings };

interface Call {
  url: string;
  init: RequestInit;
}

/** Stubs `fetch`: each call gets the answer `respond` gives it, and is recorded. */
function answer(respond: (url: URL, body: unknown) => { status?: number; body: unknown }): Call[] {
  const calls: Call[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (url, init) => {
    calls.push({ url: String(url), init: init ?? {} });
    const { status = 200, body } = respond(new URL(String(url)), init?.body ? JSON.parse(String(init.body)) : undefined);
    return new Response(JSON.stringify(body), { status });
  });
  return calls;
}
afterEach(() => vi.restoreAllMocks());

describe('record paths for custom attributes', () => {
  it('read names joined by dots, and a list item picked by [field=value]', () => {
    const record = { employment: { custom_fields: [{ name: 'Grade', value: 7 }, { name: 'Cost Center', value: ' CC-901 ' }] }, custom_fields: { cost_center: 'CC-100', flag: true } };
    expect(textAt(record, parseRecordPath('employment.custom_fields[name=Cost Center].value')!)).toBe('CC-901');
    expect(textAt(record, parseRecordPath('employment.custom_fields[name=Grade].value')!)).toBe('7');
    expect(textAt(record, parseRecordPath('custom_fields.flag')!)).toBe('true');
    expect(textAt(record, parseRecordPath('custom_fields.missing')!)).toBeNull();
    expect(textAt(record, parseRecordPath('employment.custom_fields')!)).toBeNull(); // a list is not a value
    expect(textAt(record, parseRecordPath('custom_fields.constructor')!)).toBeNull(); // never an inherited property
  });

  it('refuse what is not a path', () => {
    for (const text of ['', 'a..b', 'a.', '.a', 'a[b]', 'a[=x]', 'a[b=c]d']) expect(parseRecordPath(text), text).toBeNull();
  });

  it('are checked when the config loads: Finch reads only its two records', () => {
    const config = (provider: string, path: string) => `providers:\n  ${provider}:\n    attributes: { costCenter: "${path}" }\nrules:\n  - id: a\n    groups: [A]\n`;
    expect(parseConfig(config('merge', 'remote_data[path=/people].data.cc')).providers.merge).toMatchObject({ attributes: { costCenter: 'remote_data[path=/people].data.cc' } });
    expect(() => parseConfig(config('finch', 'custom_fields.cc'))).toThrow(/providers\.finch\.attributes\.costCenter: must be a record path, e\.g\. employment\./);
    expect(() => parseConfig(config('merge', 'a..b'))).toThrow(/providers\.merge\.attributes\.costCenter/);
  });
});

describe('Merge', () => {
  const employee = (id: string, fields: Record<string, unknown> = {}) => ({ id, work_email: `${id}@example.com`, employment_status: 'ACTIVE', modified_at: '2026-03-01T10:00:00Z', ...fields });

  it('lists employees a page at a time with the key and account token, expanded, and maps custom attributes', async () => {
    const calls = answer(() => ({
      body: {
        next: 'cD0y',
        previous: null,
        results: [employee('e1', { custom_fields: { cost_center: 'CC-901' }, employments: [{ job_title: 'Engineer', modified_at: '2026-03-04T09:00:00Z' }] }), employee('e2', { employment_status: 'INACTIVE', termination_date: '2026-02-28' })],
      },
    }));
    const page = await mergeSource.readRoster!(mergeContext, 'cD0x');

    const url = new URL(calls[0]!.url);
    expect(url.pathname).toBe('/api/hris/v1/employees');
    expect(Object.fromEntries(url.searchParams)).toEqual({ page_size: '100', expand: 'employments,groups,work_location', cursor: 'cD0x' });
    expect(calls[0]!.init.headers).toMatchObject({ authorization: 'Bearer api-key', 'x-account-token': 'account-token' });
    expect(page).toEqual({
      next: 'cD0y',
      problems: [],
      records: [
        // Dated by the newest of the employee and its employments: a new title changes only the Employment.
        { record: expect.objectContaining({ externalId: 'e1', jobTitle: 'Engineer', status: 'active', attributes: { costCenter: 'CC-901' } }), modifiedAt: '2026-03-04T09:00:00.000Z' },
        { record: expect.objectContaining({ externalId: 'e2', status: 'terminated', terminationDate: '2026-02-28', attributes: { costCenter: null } }), modifiedAt: '2026-03-01T10:00:00.000Z' },
      ],
    });
  });

  it('asks for remote_data only when an attribute is read from it, on the roster and the webhook path alike', async () => {
    const settings = mergeSource.settings.parse({ attributes: { costCenter: 'remote_data[path=/people].data.costCenter' } });
    const remote = { remote_data: [{ path: '/people', data: { costCenter: 'CC-77' } }] };
    const calls = answer((url) => ({ body: url.pathname.endsWith('/employees') ? { next: null, results: [employee('e1', remote)] } : employee('e1', remote) }));
    const page = await mergeSource.readRoster!({ ...mergeContext, settings }, null);
    const fetched = await mergeSource.fetchWorker!('e1', { ...mergeContext, settings });

    expect(calls.map((call) => new URL(call.url).searchParams.get('include_remote_data'))).toEqual(['true', 'true']);
    expect(page.records[0]!.record.attributes).toEqual({ costCenter: 'CC-77' });
    expect(fetched?.attributes).toEqual({ costCenter: 'CC-77' });
  });

  it('reads only the changes since a time with modified_after, resuming at its cursor', async () => {
    const calls = answer(() => ({ body: { next: null, results: [employee('e3')] } }));
    const page = await readMergeChanges(mergeContext, '2026-03-01T00:00:00Z', 'cD0z');
    expect(new URL(calls[0]!.url).searchParams.get('modified_after')).toBe('2026-03-01T00:00:00Z');
    expect(new URL(calls[0]!.url).searchParams.get('cursor')).toBe('cD0z');
    expect(page.records.map(({ record }) => record.externalId)).toEqual(['e3']);
  });

  it('reports an employee it cannot map and reads the rest', async () => {
    answer(() => ({ body: { next: null, results: [employee('e1', { work_email: 'not an address' }), employee('e2')] } }));
    const page = await mergeSource.readRoster!(mergeContext, null);
    expect(page.records.map(({ record }) => record.externalId)).toEqual(['e2']);
    expect(page.problems).toEqual([{ at: 'employee e1', reason: 'workEmail: must be an e-mail address' }]);
  });

  it.each([401, 429, 503])('fails the read with a typed error on %i', async (status) => {
    answer(() => ({ status, body: { detail: 'no' } }));
    await expect(mergeSource.readRoster!(mergeContext, null)).rejects.toMatchObject({ name: 'ProviderApiError', status, operation: 'GET merge /api/hris/v1/employees' });
  });

  it('fails on an answer that is not a page of employees', async () => {
    answer(() => ({ body: { results: 'nope' } }));
    await expect(mergeSource.readRoster!(mergeContext, null)).rejects.toThrow(/unexpected answer at next/);
  });
});

describe('Finch', () => {
  const people: Record<string, { employment: Record<string, unknown>; individual: Record<string, unknown> }> = {
    a: { employment: { is_active: true, title: 'Engineer', custom_fields: [{ name: 'Cost Center', value: 'CC-901' }] }, individual: { emails: [{ data: 'a@example.com', type: 'work' }], preferred_name: 'Al' } },
    b: { employment: { is_active: false, end_date: '2026-02-28' }, individual: { emails: [{ data: 'b@example.com', type: 'work' }] } },
  };
  /** A directory of `count` people whose page holds `ids`; `missing` ids answer 404 in the batches. */
  const finchApi = (ids: string[], count: number, missing: string[] = []) =>
    answer((url, body) => {
      if (url.pathname === '/employer/directory') return { body: { paging: { count, offset: Number(url.searchParams.get('offset')) }, individuals: ids.map((id) => ({ id, is_active: true })) } };
      const resource = url.pathname.endsWith('employment') ? 'employment' : 'individual';
      const requests = (body as { requests: Array<{ individual_id: string }> }).requests;
      return { body: { responses: requests.map(({ individual_id }) => (missing.includes(individual_id) ? { individual_id, code: 404, body: { code: 404, message: 'Individual not found' } } : { individual_id, code: 200, body: people[individual_id]![resource] })) } };
    });

  it('reads a directory page, then its people’s employment and individual records in one batch each', async () => {
    const calls = finchApi(['a', 'b'], 5);
    const page = await finchSource.readRoster!(finchContext, null);

    expect(calls.map((call) => `${call.init.method ?? 'GET'} ${new URL(call.url).pathname}${new URL(call.url).search}`)).toEqual(['GET /employer/directory?limit=200&offset=0', 'POST /employer/employment', 'POST /employer/individual']);
    for (const call of calls) expect(call.init.headers).toMatchObject({ authorization: 'Bearer access-token', 'finch-api-version': '2020-09-17' });
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ requests: [{ individual_id: 'a' }, { individual_id: 'b' }] });
    expect(page).toEqual({
      next: 'offset=2&count=5',
      problems: [],
      records: [
        { record: expect.objectContaining({ externalId: 'a', workEmail: 'a@example.com', status: 'active', attributes: { costCenter: 'CC-901', nickname: 'Al' } }), modifiedAt: null },
        { record: expect.objectContaining({ externalId: 'b', status: 'terminated', terminationDate: '2026-02-28', attributes: { costCenter: null, nickname: null } }), modifiedAt: null },
      ],
    });
  });

  it('continues at the cursor’s offset and ends at the directory’s count', async () => {
    const calls = finchApi(['a', 'b'], 5);
    const page = await finchSource.readRoster!(finchContext, 'offset=3&count=5');
    expect(new URL(calls[0]!.url).searchParams.get('offset')).toBe('3');
    expect(page.next).toBeNull();
  });

  it('reports a person Finch cannot answer, and a directory that changed size during the read', async () => {
    finchApi(['a', 'b'], 6, ['b']);
    const page = await finchSource.readRoster!(finchContext, 'offset=2&count=5');
    expect(page.records.map(({ record }) => record.externalId)).toEqual(['a']);
    expect(page.problems).toEqual([
      { at: 'directory offset 2', reason: expect.stringContaining('the directory changed during the read (5 people, then 6)') },
      { at: 'individual b', reason: 'employment not answered (404: Individual not found)' },
    ]);
  });

  it('maps the same attributes on the webhook path', async () => {
    finchApi([], 0);
    expect(await finchSource.fetchWorker!('a', finchContext)).toMatchObject({ externalId: 'a', attributes: { costCenter: 'CC-901', nickname: 'Al' } });
  });

  it.each([
    [202, /not ready/],
    [401, /HTTP 401/],
    [429, /HTTP 429/],
    [500, /HTTP 500/],
  ])('fails the read with a typed error on %i', async (status, message) => {
    answer(() => ({ status, body: { code: status, message: 'no' } }));
    const failure = finchSource.readRoster!(finchContext, null);
    await expect(failure).rejects.toBeInstanceOf(ProviderApiError);
    await expect(failure).rejects.toMatchObject({ status, operation: 'GET finch /employer/directory', message: expect.stringMatching(message) });
  });
});
