import type { SNSEvent } from 'aws-lambda';
import { noteFromSns, postChat, type ChatKind } from '../lib/notify/chat.js';
import { chatWebhooks } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';

/** Subscribed to the team's SNS topic: each notification and alarm to the Slack or Teams channel the config names. */
export function createNotifierHandler(webhooks: () => Promise<Array<{ kind: ChatKind; url: string }>>) {
  return withPowertools(async (event: SNSEvent) => {
    const targets = await webhooks();
    for (const record of event.Records) for (const { kind, url } of targets) await postChat(kind, url, noteFromSns(record.Sns));
  }, { coldStartMetric: false });
}

export const handler = createNotifierHandler(() => chatWebhooks(readEnvironment()));
