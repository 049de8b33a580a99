import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Powertools for every handler, configured by environment (POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_METRICS_DISABLED). Traces are
 * Lambda's own active tracing (cdk/lifecycle-function.ts): Powertools' Tracer would bring the X-Ray
 * SDK, about half of a handler's bundle and of its cold import, for subsegments of each AWS and
 * HTTP call.
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'hr-bitwarden-lifecycle';
export const METRICS_NAMESPACE = 'HrBitwardenLifecycle';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });

/** The product's metrics: the alarms and the dashboard read these names. */
export const Metric = {
  WebhooksAccepted: 'WebhooksAccepted',
  WebhooksRefused: 'WebhooksRefused',
  WebhooksDuplicate: 'WebhooksDuplicate',
  /** SCIM requests answered 4xx/5xx (a bad key, a body it cannot map, a spent budget). */
  ScimRefused: 'ScimRefused',
  EventsApplied: 'EventsApplied',
  EventsSkipped: 'EventsSkipped',
  /** Per action kind: ActionInvite, ActionSetGroups, ActionRevoke, … */
  action: (kind: string) => `Action${kind.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase())}`,
  /** From webhook receipt (or the due instant, for a sweep) to the revoke applied, in milliseconds. */
  RevocationLatency: 'RevocationLatency',
  RevocationsHeld: 'RevocationsHeld',
  BitwardenThrottled: 'BitwardenThrottled',
  BitwardenErrors: 'BitwardenErrors',
  SweepDue: 'SweepDue',
  Drift: 'Drift',
  /** Per source (`RosterChanges_bamboohr`): records a roster read found changed and sent to the worker. */
  rosterChanges: (source: string) => `RosterChanges_${source}`,
  /** Per source: changes a roster read made in Bitwarden that no webhook had delivered (the webhooks are broken). */
  rosterCorrections: (source: string) => `RosterCorrections_${source}`,
  /** Any source: a complete roster whose absent workers were not removed (too small, or rows not read). */
  RosterRemovalRefused: 'RosterRemovalRefused',
  /** Any source: a roster read failed (it resumes at the next tick). */
  RosterReadFailed: 'RosterReadFailed',
  /** Any source: the sum of rosterCorrections, for one alarm. */
  RosterCorrections: 'RosterCorrections',
} as const;

export { MetricUnit };
