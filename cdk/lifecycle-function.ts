import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface LifecycleFunctionProps {
  /** The handler file under functions/. */
  entry: string;
  description: string;
  /** The config validated at synth, as JSON: shipped beside the handler as `lifecycle.json` (no YAML parser in a Lambda). */
  shippedConfigPath: string;
  timeout: Duration;
  environment?: Record<string, string>;
}

const root = path.resolve(import.meta.dirname, '..');

/**
 * Every handler the same way: Node 22 on arm64, bundled offline by esbuild as minified ESM with
 * source maps, the AWS SDK left to the runtime, Powertools configured by environment, JSON logs
 * in a log group of bounded retention, and the config file in the bundle.
 */
export class LifecycleFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LifecycleFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    // Its own role, able to write to its own log group only (not the managed AWSLambdaBasicExecutionRole).
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `${id}: ${props.description}` });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(root, 'functions', props.entry),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      projectRoot: root,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'hr-bitwarden-lifecycle',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        LIFECYCLE_CONFIG: './lifecycle.json',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        externalModules: ['@aws-sdk/*'],
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); give the ESM bundle one.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => [`cp "${props.shippedConfigPath}" "${output}/lifecycle.json"`],
        },
      },
    });
    Validations.of(this).acknowledge({ id: 'AwsSolutions::AwsSolutions-L1', reason: 'nodejs22.x is the runtime this product targets and tests (Powertools, SDK and middy versions are pinned for it).' });
    Validations.of(role).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'Active tracing: AWS X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions.' });
  }
}
