import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { connectedSources } from '../../lib/sources/connected-sources.js';
import { enabledWebhookSources, webhookSourceLoaders } from '../../lib/sources/webhook-sources.js';
import { receiveWebhook, type IngestDependencies } from '../../lib/ingest/receive-webhook.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { genericDelivery, worker } from '../support/generic-events.js';

const oldSecret = 'whsec_b2xkLW9sZC1vbGQtb2xkLW9sZC1vbGQtb2xkLW9sZA==';
const newSecret = 'whsec_bmV3LW5ldy1uZXctbmV3LW5ldy1uZXctbmV3LW5ldw==';

/** The ingest core with its ports in memory (secrets, queue): no AWS here, the integration tests have the real ones. */
function ingest(secrets: { cached: string; fresh: string }) {
  const enqueued: WorkerEventMessage[] = [];
  const reads: string[] = [];
  const deps: IngestDependencies = {
    sources: enabledWebhookSources({ generic: parseConfig('rules:\n  - id: a\n    groups: [A]\n').providers.generic }),
    secretsFor: async (_provider, options) => {
      reads.push(options?.refresh ? 'refresh' : 'cached');
      return [options?.refresh ? secrets.fresh : secrets.cached];
    },
    enqueueOnce: async (_key: string, messages: WorkerEventMessage[]) => (enqueued.push(...messages), { duplicate: false }),
    now: () => new Date(),
  };
  return { deps, enqueued, reads };
}

describe('a rotated webhook secret', () => {
  it('is picked up without a redeploy: a mismatch re-reads the secret once and verifies again', async () => {
    const { deps, enqueued, reads } = ingest({ cached: oldSecret, fresh: newSecret });
    const delivery = genericDelivery('worker.hired', worker(), { secret: newSecret });
    const answer = await receiveWebhook('generic', { headers: delivery.headers, body: Buffer.from(delivery.body) }, deps);
    expect(answer.status).toBe(202);
    expect(reads).toEqual(['cached', 'refresh']);
    expect(enqueued).toHaveLength(1);
  });

  it('still refuses a signature no secret matches, and enqueues nothing', async () => {
    const { deps, enqueued } = ingest({ cached: oldSecret, fresh: newSecret });
    const delivery = genericDelivery('worker.hired', worker(), { secret: 'whsec_Zm9yZ2VkLWZvcmdlZC1mb3JnZWQtZm9yZ2Vk' });
    expect((await receiveWebhook('generic', { headers: delivery.headers, body: Buffer.from(delivery.body) }, deps)).status).toBe(401);
    expect(enqueued).toEqual([]);
  });
});

describe('the webhook sources the ingest may load', () => {
  const { providers } = parseConfig('providers:\n  generic: {}\n  bamboohr: { enabled: false }\n  ldap: { baseDn: "dc=example,dc=com" }\nrules:\n  - id: a\n    groups: [A]\n');
  const sources = enabledWebhookSources(providers);

  it('finds an enabled source that takes webhooks, with its settings', async () => {
    expect(await sources.find('generic')).toMatchObject({ source: { name: 'generic' }, settings: providers.generic });
  });

  it('finds nothing for a source disabled, a directory (rosters only), an unknown name, or a name of Object.prototype', async () => {
    for (const name of ['bamboohr', 'ldap', 'acme', '__proto__', 'constructor', 'toString']) expect(await sources.find(name), name).toBeUndefined();
    expect(await sources.names()).toEqual(['generic']);
  });
});

describe('the ingest’s list of webhook sources', () => {
  it('loads, by name, exactly the connected sources that take webhooks', async () => {
    const takingWebhooks = connectedSources().filter((source) => source.takesWebhooks !== false);
    expect([...webhookSourceLoaders.keys()].sort()).toEqual(takingWebhooks.map((source) => source.name).sort());
    for (const source of takingWebhooks) expect(await webhookSourceLoaders.get(source.name)!(), source.name).toBe(source);
  });
});
