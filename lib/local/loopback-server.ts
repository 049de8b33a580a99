import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../runtime/observability.js';

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/** How long a client may take to send a request: a stalled one is answered 408, never kept forever. */
export interface RequestTimeouts {
  /** Until the whole request (headers and body) has arrived. */
  requestMs: number;
  /** Until the headers have arrived; at most `requestMs`. */
  headersMs: number;
}

/** Generous for a webhook sender on this machine; the ingest function itself times out after 10 s. */
const DEFAULT_TIMEOUTS: RequestTimeouts = { requestMs: 30_000, headersMs: 10_000 };
/** How often Node checks those timeouts (its default, 30 s, would let a 10 s timeout run for 40). */
const TIMEOUT_CHECK_MS = 250;

/**
 * An HTTP server on 127.0.0.1 (port 0: a free one) for the local runtime and its emulators. A
 * request whose handling throws is answered 500, with the details in the log only: one request
 * never takes the server (and `npm start` with it) down.
 */
export async function listenOnLoopback(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  port = 0,
  timeouts: RequestTimeouts = DEFAULT_TIMEOUTS,
): Promise<LoopbackServer> {
  const server = createServer({ requestTimeout: timeouts.requestMs, headersTimeout: timeouts.headersMs, connectionsCheckingInterval: TIMEOUT_CHECK_MS }, (request, response) => {
    handle(request, response).catch((error: unknown) => answerFailure(request, response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answerFailure(request: IncomingMessage, response: ServerResponse, error: unknown): void {
  logger.error('local HTTP request failed', { method: request.method, url: request.url, error });
  // Half an answer already went out (or the client left): all that is left is to drop the connection.
  if (response.headersSent || response.destroyed) return void response.destroy();
  response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal error; see the log of npm start' }));
}
