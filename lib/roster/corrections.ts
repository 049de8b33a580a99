import type { WorkerEventMessage } from '../queue/message.js';
import { findConnectedSource } from '../sources/connected-sources.js';

/**
 * Whether a roster read's change to Bitwarden is one the source's webhooks never delivered (the
 * RosterCorrections alarm, docs/design.md decision 11). Only a source that sends webhooks can have
 * missed one: a directory's or a roster file's reads are how it tells anything at all.
 */
export function missedByWebhooks(message: Pick<WorkerEventMessage, 'eventType' | 'provider'>, changedBitwarden: boolean): boolean {
  const source = findConnectedSource(message.provider);
  return message.eventType === 'roster.record' && changedBitwarden && source !== undefined && source.takesWebhooks !== false;
}
