import { Queues } from '../lib/queue/queues.js';
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, Metric, SingleValueWidget, TextWidget, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Metric as ProductMetric, METRICS_NAMESPACE } from '../lib/runtime/observability.js';
import { actionKinds } from '../lib/vocabulary/bitwarden.js';

export interface OperationsProps {
  stage: string;
  serviceName: string;
  functions: Record<string, IFunction>;
  /**
   * The functions behind a public endpoint, whose reserved concurrency is their throttle: a burst
   * is answered 429 and most senders retry, so their throttles alarm only when sustained.
   */
  endpoints: readonly string[];
  /** Each lane with its dead-letter queue, and how old its oldest message may get. */
  lanes: Array<{ name: string; queue: Queue; deadLetterQueue: Queue; maxAge: Duration }>;
}

/**
 * What an operator watches: alarms to one SNS topic (subscribe the team's address or pager to it)
 * and a dashboard of the lifecycle: events in, actions by kind, latency percentiles, drift.
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** The dashboard's row of functions, which `watch` adds each function to. */
  private readonly functionErrors = new GraphWidget({ title: 'Function errors', width: 12 });
  private readonly functionThrottles = new GraphWidget({ title: 'Function throttles', width: 12 });
  private readonly alarm: (name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods?: number) => void;
  private readonly endpoints: ReadonlySet<string>;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    // A customer-managed key: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key, so nobody would be told.
    const key = new Key(this, 'AlarmTopicKey', { description: `Encrypts the lifecycle alarm topic (${props.stage}); CloudWatch may use it to publish alarms`, enableKeyRotation: true });
    key.addToResourcePolicy(new PolicyStatement({ principals: [new ServicePrincipal('cloudwatch.amazonaws.com')], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }));
    this.topic = new Topic(this, 'Alarms', { displayName: `HR → Bitwarden lifecycle (${props.stage}) alarms`, enforceSSL: true, masterKey: key });
    const product = (name: string, statistic = 'Sum', period = Duration.minutes(5)) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: props.serviceName }, statistic, period });
    this.endpoints = new Set(props.endpoints);
    const alarm = (this.alarm = (name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const created = new Alarm(this, name, {
        alarmName: `hr-bitwarden-lifecycle-${props.stage}-${name}`,
        alarmDescription: `${description} Runbook: docs/runbook.md`,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(created);
    });

    for (const lane of props.lanes) {
      alarm(`${lane.name}DeadLetters`, lane.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), 1, `A ${lane.name} event failed ${Queues.events.maxReceiveCount} times and sits in its dead-letter queue.`);
      alarm(`${lane.name}OldestMessage`, lane.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }), lane.maxAge.toSeconds(), `The ${lane.name} lane is falling behind.`);
    }
    for (const [name, fn] of Object.entries(props.functions)) this.watch(name, fn);
    alarm('BitwardenThrottling', product(ProductMetric.BitwardenThrottled), 20, 'Bitwarden answered 429 (rate limited) 20 or more times in 5 minutes.');
    alarm('RevocationLatency', product(ProductMetric.RevocationLatency, 'p99'), 120_000, 'The slowest revocations took 2 minutes or more from webhook to Bitwarden.');
    alarm('RevocationsHeld', product(ProductMetric.RevocationsHeld), 1, 'The mass-revocation guard is holding revocations: an admin must approve them (npx lifecycle guard approve) or act.');
    alarm('Drift', product(ProductMetric.Drift, 'Maximum', Duration.days(1)), 1, 'The daily reconciliation found Bitwarden out of step with HR.');
    alarm('RosterCorrections', product(ProductMetric.RosterCorrections, 'Sum', Duration.days(1)), 1, 'A roster read changed Bitwarden where no webhook had: webhooks from an HR system are being lost (check its webhook settings and secret).');
    alarm('RosterRemovalRefused', product(ProductMetric.RosterRemovalRefused), 1, 'A complete roster lacked workers but removed nobody: it was much smaller than the last one, or had rows that could not be read. Check the source before anyone is removed.');
    alarm('RosterReadFailed', product(ProductMetric.RosterReadFailed, 'Sum', Duration.hours(1)), 3, 'Roster reads keep failing: the source API or its credentials.');

    const actions = actionKinds.map((kind) => product(ProductMetric.action(kind)));
    new Dashboard(this, 'Dashboard', {
      dashboardName: `hr-bitwarden-lifecycle-${props.stage}`,
      widgets: [
        [new TextWidget({ markdown: `# HR → Bitwarden lifecycle (${props.stage})\nAlarms go to the SNS topic; what to do: docs/runbook.md.`, width: 24, height: 2 })],
        [
          new GraphWidget({ title: 'Events in', left: [product(ProductMetric.WebhooksAccepted), product(ProductMetric.WebhooksDuplicate), product(ProductMetric.WebhooksRefused)], width: 8 }),
          new GraphWidget({ title: 'Bitwarden actions by kind', left: actions, stacked: true, width: 8 }),
          new GraphWidget({ title: 'Events applied / skipped', left: [product(ProductMetric.EventsApplied), product(ProductMetric.EventsSkipped)], width: 8 }),
        ],
        [
          new GraphWidget({ title: 'Revocation latency (ms)', left: ['p50', 'p95', 'p99'].map((statistic) => product(ProductMetric.RevocationLatency, statistic)), width: 8 }),
          new GraphWidget({ title: 'Lanes: oldest message (s)', left: props.lanes.map((lane) => lane.queue.metricApproximateAgeOfOldestMessage()), width: 8 }),
          new GraphWidget({ title: 'Bitwarden 429 and errors', left: [product(ProductMetric.BitwardenThrottled), product(ProductMetric.BitwardenErrors)], width: 8 }),
        ],
        [
          new SingleValueWidget({ title: 'Drift (last reconciliation)', metrics: [product(ProductMetric.Drift, 'Maximum', Duration.days(1))], width: 8 }),
          new SingleValueWidget({ title: 'Revocations held by the guard', metrics: [product(ProductMetric.RevocationsHeld, 'Sum', Duration.hours(1))], width: 8 }),
          new GraphWidget({ title: 'Dead letters', left: props.lanes.map((lane) => lane.deadLetterQueue.metricApproximateNumberOfMessagesVisible()), width: 8 }),
        ],
        [this.functionErrors, this.functionThrottles],
      ],
    });
  }

  /** A function's errors and throttles alarm, and it joins the dashboard's row of functions: also for one made after this (the notifier). */
  watch(name: string, fn: IFunction): void {
    this.alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), 1, `The ${name} function failed.`);
    const endpoint = this.endpoints.has(name);
    const throttled = endpoint
      ? `The ${name} endpoint answered 429 (its reserved concurrency was reached) in each of 15 minutes' 5-minute periods: a flood, or more traffic than it is sized for.`
      : `The ${name} function was throttled.`;
    this.alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), 1, throttled, endpoint ? 3 : 1);
    this.functionErrors.addLeftMetric(fn.metricErrors({ label: name }));
    this.functionThrottles.addLeftMetric(fn.metricThrottles({ label: name }));
  }
}
