import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Source } from '../sources/source.js';
import type { SourceApiEmulator } from '../sources/source-emulator.js';
import { listenOnLoopback, type LoopbackServer } from './loopback-server.js';

export interface SourceApiCall {
  source: string;
  method: string;
  path: string;
  status: number;
}

const json = (response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
  if (body === undefined) return void response.writeHead(status, { ...headers, 'content-length': '0' }).end();
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
};

/** A request body as fields: a form (OAuth token requests) or JSON. */
function fieldsOf(bytes: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (bytes.length === 0) return {};
  const text = bytes.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return JSON.parse(text) as Record<string, unknown>;
}

/** The emulator in a source's folder (`lib/sources/<name>/emulator.ts`), if it has one. */
async function emulatorOf(source: Source): Promise<SourceApiEmulator | null> {
  const url = new URL(`../sources/${source.name}/emulator.js`, import.meta.url);
  const file = fileURLToPath(url);
  if (!existsSync(file) && !existsSync(file.replace(/\.js$/, '.ts'))) return null;
  const module = (await import(url.href)) as { createEmulator(): SourceApiEmulator };
  return module.createEmulator();
}

/**
 * The read APIs of every registered source that has an emulator, on one loopback server, each
 * under `/<source name>`: what `npm start` and the tests point `<NAME>_API_URL` at.
 */
export class SourceApis {
  readonly calls: SourceApiCall[] = [];
  private readonly failures: number[] = [];
  private server: LoopbackServer | null = null;

  private constructor(private readonly emulators: Map<string, SourceApiEmulator>) {}

  static async start(sources: readonly Source[]): Promise<SourceApis> {
    const emulators = new Map<string, SourceApiEmulator>();
    for (const source of sources) {
      const emulator = await emulatorOf(source);
      if (emulator) emulators.set(source.name, emulator);
    }
    const apis = new SourceApis(emulators);
    apis.server = await listenOnLoopback((request, response) => apis.handle(request, response));
    return apis;
  }

  /** The sources served, by name. */
  names(): string[] {
    return [...this.emulators.keys()];
  }

  /** The API base the product is configured with (`<NAME>_API_URL`). */
  url(source: string): string {
    return `${this.server!.url}/${source}`;
  }

  credentials(source: string): string {
    return this.emulator(source).credentials;
  }

  /** The source's records by worker id, in the source's own shape. */
  records(source: string): Map<string, Record<string, unknown>> {
    return this.emulator(source).records;
  }

  /** The next API calls answer these statuses (e.g. 503), whatever they ask. */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }

  private emulator(source: string): SourceApiEmulator {
    const emulator = this.emulators.get(source);
    if (!emulator) throw new Error(`no emulator for source "${source}"`);
    return emulator;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, source = '', ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = (status: number, body?: unknown, headers?: Record<string, string>) => {
      this.calls.push({ source, method: request.method ?? 'GET', path, status });
      json(response, status, body, headers);
    };
    const emulator = this.emulators.get(source);
    if (!emulator) return answer(404, { error: `no source API at /${source}` });
    const failure = this.failures.shift();
    if (failure !== undefined) return answer(failure, { error: 'injected failure' });
    if (!emulator.authorized(request.headers, path)) return answer(401, { error: 'unauthorized' });
    let body: Record<string, unknown>;
    try {
      body = fieldsOf(Buffer.concat(chunks), request.headers['content-type']);
    } catch {
      return answer(400, { error: 'the body is not JSON' });
    }
    const result = emulator.handle({ method: request.method ?? 'GET', path, query: url.searchParams, headers: request.headers, body });
    answer(result.status, result.body, result.headers);
  }
}
