import type { WorkerEventMessage } from '../queue/message.js';

/**
 * Whether a roster read's change to Bitwarden is one the source's webhooks never delivered (the
 * RosterCorrections alarm, docs/design.md decision 11). Only a source that sends webhooks can have
 * missed one: a directory's or a roster file's reads are how it tells anything at all. The sources
 * load only for such a change, not at every worker's cold start.
 */
export async function missedByWebhooks(message: Pick<WorkerEventMessage, 'eventType' | 'provider'>, changedBitwarden: boolean): Promise<boolean> {
  if (message.eventType !== 'roster.record' || !changedBitwarden) return false;
  const { findConnectedSource } = await import('../sources/connected-sources.js');
  const source = findConnectedSource(message.provider);
  return source !== undefined && source.takesWebhooks !== false;
}
