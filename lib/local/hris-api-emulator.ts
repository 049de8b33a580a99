import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, type LoopbackServer } from './loopback-server.js';

/**
 * Small emulators of the HR systems' read APIs that thin webhooks send the worker to
 * (hris/webhooks.md §3): BambooHR `GET /v1/employees/{id}`, HiBob `POST /v1/people/search`,
 * Merge `GET /api/hris/v1/employees/{id}?expand=…`, Finch `POST /employer/employment` and
 * `/employer/individual`. Each lives under its own prefix (`/bamboohr`, …), checks that
 * provider's credentials, and answers from records a test (or `npm start`) stores in the
 * provider's own shape.
 */

export type HrisApiName = 'bamboohr' | 'hibob' | 'merge' | 'finch';

export interface HrisApiRequest {
  provider: HrisApiName;
  method: string;
  path: string;
  status: number;
}

const json = (response: ServerResponse, status: number, body?: unknown) => {
  if (body === undefined) return void response.writeHead(status, { 'content-length': '0' }).end();
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
};

export class HrisApiEmulator {
  /** Provider-native records by worker id: BambooHR field aliases, Bob people, expanded Merge employees, Finch employment + individual. */
  readonly records = {
    bamboohr: new Map<string, Record<string, unknown>>(),
    hibob: new Map<string, Record<string, unknown>>(),
    merge: new Map<string, Record<string, unknown>>(),
    finch: new Map<string, { employment: Record<string, unknown>; individual: Record<string, unknown> }>(),
  };
  /** The credentials each API accepts, in the form the product is configured with (`<PROVIDER>_API_CREDENTIALS`). */
  readonly credentials: Record<HrisApiName, string> = {
    bamboohr: randomBytes(12).toString('hex'),
    hibob: `service-user-${randomBytes(4).toString('hex')}:${randomBytes(12).toString('hex')}`,
    merge: `${randomBytes(12).toString('hex')}:${randomBytes(12).toString('hex')}`,
    finch: randomBytes(16).toString('hex'),
  };
  readonly requests: HrisApiRequest[] = [];
  private readonly failures: number[] = [];
  private server: LoopbackServer | null = null;
  private baseUrl = '';

  /** The API base the product is configured with (`<PROVIDER>_API_URL`). */
  url(provider: HrisApiName): string {
    return `${this.baseUrl}/${provider}`;
  }

  /** The next API calls answer these statuses (e.g. 503), whatever they ask. */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  async start(): Promise<this> {
    this.server = await listenOnLoopback((request, response) => this.handle(request, response));
    this.baseUrl = this.server.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, provider, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const answer = (status: number, payload?: unknown) => {
      this.requests.push({ provider: provider as HrisApiName, method: request.method ?? 'GET', path, status });
      json(response, status, payload);
    };

    const failure = this.failures.shift();
    if (failure !== undefined) return answer(failure, { error: 'injected failure' });
    if (!this.authorized(provider as HrisApiName, request)) return answer(401, { error: 'unauthorized' });

    switch (`${provider} ${request.method} ${path.replace(/\/[^/]+\/?$/, '/{id}')}`) {
      case 'bamboohr GET /v1/employees/{id}': {
        const id = decodeURIComponent(path.split('/')[3] ?? '');
        const record = this.records.bamboohr.get(id);
        const fields = (url.searchParams.get('fields') ?? '').split(',').filter(Boolean);
        return record ? answer(200, { id, ...Object.fromEntries(fields.map((field) => [field, record[field] ?? null])) }) : answer(404);
      }
      case 'hibob POST /v1/people/{id}': {
        const ids = ((body.filters as Array<{ values: string[] }> | undefined)?.[0]?.values ?? []).map(String);
        return answer(200, { employees: ids.flatMap((id) => (this.records.hibob.has(id) ? [this.records.hibob.get(id)] : [])) });
      }
      case 'merge GET /api/hris/v1/employees/{id}': {
        const record = this.records.merge.get(decodeURIComponent(path.split('/').pop() ?? ''));
        return record ? answer(200, record) : answer(404, { detail: 'Not found.' });
      }
      case 'finch POST /employer/{id}': {
        const resource = path.endsWith('individual') ? 'individual' : 'employment';
        const requests = (body.requests as Array<{ individual_id: string }> | undefined) ?? [];
        return answer(200, {
          responses: requests.map(({ individual_id }) => {
            const record = this.records.finch.get(individual_id);
            return record ? { individual_id, code: 200, body: record[resource] } : { individual_id, code: 404, body: { code: 404, message: 'Individual not found' } };
          }),
        });
      }
      default:
        return answer(404, { error: `no route ${request.method} ${url.pathname}` });
    }
  }

  private authorized(provider: HrisApiName, request: IncomingMessage): boolean {
    const header = request.headers.authorization ?? '';
    const basic = (user: string, password: string) => header === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const credentials = this.credentials[provider];
    if (!credentials) return false;
    switch (provider) {
      case 'bamboohr':
        return basic(credentials, 'x');
      case 'hibob': {
        const [user, token] = credentials.split(':') as [string, string];
        return basic(user, token);
      }
      case 'merge': {
        const [key, account] = credentials.split(':') as [string, string];
        return header === `Bearer ${key}` && request.headers['x-account-token'] === account;
      }
      case 'finch':
        return header === `Bearer ${credentials}` && request.headers['finch-api-version'] === '2020-09-17';
    }
  }
}
