import { createHmac, randomUUID } from 'node:crypto';

/**
 * Signs a body the way each provider does, written from the recipe table in
 * test/fixtures/hris/README.md (independently of the product's verifiers).
 */
export type Scheme = 'standard' | 'finch' | 'bamboohr' | 'hibob' | 'merge';

export function sign(scheme: Scheme, payload: string | Buffer, secret: string, unixSeconds: number, id = `msg_${randomUUID().replaceAll('-', '')}`): Record<string, string> {
  // The exact bytes that will be sent: a string is sent as UTF-8.
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const hmac = (algorithm: string, key: Buffer, ...parts: Array<string | Buffer>) => createHmac(algorithm, key).update(Buffer.concat(parts.map((part) => Buffer.from(part)))).digest();
  switch (scheme) {
    case 'standard':
    case 'finch': {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const signature = `v1,${hmac('sha256', key, `${id}.${unixSeconds}.`, body).toString('base64')}`;
      return scheme === 'standard'
        ? { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(unixSeconds), 'webhook-signature': signature }
        : { 'content-type': 'application/json', 'finch-event-id': id, 'finch-timestamp': String(unixSeconds), 'finch-signature': signature };
    }
    case 'bamboohr':
      return { 'content-type': 'application/json', 'x-bamboohr-timestamp': String(unixSeconds), 'x-bamboohr-signature': hmac('sha256', Buffer.from(secret), body, String(unixSeconds)).toString('hex') };
    case 'hibob':
      return { 'content-type': 'application/json', 'bob-signature': hmac('sha512', Buffer.from(secret), body).toString('base64') };
    case 'merge':
      return { 'content-type': 'application/json', 'x-merge-webhook-signature': hmac('sha256', Buffer.from(secret), body).toString('base64url') + '=' };
  }
}
