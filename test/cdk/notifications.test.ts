import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LifecycleStack } from '../../cdk/lifecycle-stack.js';
import { loadConfigFile } from '../../lib/config/load.js';

/** Issue 16, "Notifications": the team's topic, its key, its subscribers and its publishers, from the config's `notifications`. */
const SLACK = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:lifecycle/slack-AbC123';
let template: Template;
beforeAll(() => {
  const configPath = path.join(mkdtempSync(path.join(tmpdir(), 'notifications-')), 'lifecycle.yaml');
  writeFileSync(configPath, `${readFileSync('cdk/config/lifecycle.yaml', 'utf8')}\nnotifications:\n  email: [it-ops@example.com, security@example.com]\n  slack: ${SLACK}\n  inviteReminderDays: 5\n`);
  // The functions' bundles are test/cdk/stack.test.ts's business: not bundled here (CDK's bundling-stacks context).
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'cdk-out-')), context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new LifecycleStack(app, 'Test', { config: loadConfigFile(configPath), configPath }));
}, 60_000);

const logicalId = (type: string, description: RegExp) => Object.entries(template.findResources(type)).find(([, resource]) => description.test(JSON.stringify(resource.Properties)))![0];

describe('notifications', () => {
  it('subscribe each configured address to the topic CloudWatch alarms reach', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics)).toHaveLength(1);
    const [topic] = Object.keys(topics);
    for (const address of ['it-ops@example.com', 'security@example.com']) template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: address, TopicArn: { Ref: topic } });
  });

  it('are published by the worker and the reconciler, whose roles may use the topic’s customer-managed key, the key CloudWatch may use', () => {
    const key = logicalId('AWS::KMS::Key', /cloudwatch\.amazonaws\.com/);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    for (const name of ['Worker', 'Reconciler']) {
      const fn = logicalId('AWS::Lambda::Function', new RegExp(name === 'Worker' ? 'Applies worker events' : 'Daily: compares'));
      const { Properties } = template.findResources('AWS::Lambda::Function')[fn]!;
      expect(Properties.Environment.Variables).toMatchObject({ NOTIFICATIONS_TOPIC_ARN: { Ref: expect.any(String) }, NOTIFICATIONS_TABLE: { Ref: expect.stringMatching(/^NotificationsTable/) } });
      const role = Properties.Role['Fn::GetAtt'][0];
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role)).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      expect(statements).toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: Properties.Environment.Variables.NOTIFICATIONS_TOPIC_ARN.Ref } }));
      expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['kms:GenerateDataKey*']), Effect: 'Allow', Resource: { 'Fn::GetAtt': [key, 'Arn'] } }));
    }
  });

  it('reach Slack through a function subscribed to the topic, which may read only the webhook secret the config names', () => {
    const notifier = logicalId('AWS::Lambda::Function', /Posts the notifications/);
    const { Properties } = template.findResources('AWS::Lambda::Function')[notifier]!;
    expect(Properties.Environment.Variables.SLACK_WEBHOOK_URL_ARN).toBe(SLACK);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', Endpoint: { 'Fn::GetAtt': [notifier, 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Properties.Role['Fn::GetAtt'][0] }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: SLACK })]) },
    });
    // Watched like every function: a notifier that fails means nobody hears of anything.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    for (const [suffix, metric] of [['NotifierErrors', 'Errors'], ['NotifierThrottles', 'Throttles']]) {
      expect(alarms.find((alarm) => alarm.AlarmName.endsWith(suffix))).toMatchObject({ MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: { Ref: notifier } }] });
    }
  });
});
