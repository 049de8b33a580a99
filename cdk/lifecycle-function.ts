import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { AssetHashType, DockerImage, Duration } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface LifecycleFunctionProps {
  /** The handler's name: functions/<handler>.ts. */
  handler: string;
  description: string;
  /** The config validated at synth, as sealed JSON (lib/config/shipped.ts): shipped beside the handler as `lifecycle.json`. */
  shippedConfigPath: string;
  timeout: Duration;
  environment?: Record<string, string>;
  /** Concurrency set aside for, and the most allowed to, a function a public URL invokes. */
  reservedConcurrentExecutions?: number;
}

const root = path.resolve(import.meta.dirname, '..');

/**
 * Every handler the same way: Node 22 on arm64, bundled offline as cdk/handler-bundle.ts defines it
 * (minified ESM with source maps, the AWS SDK left to the runtime, rarely needed code in chunks loaded
 * on demand), Powertools configured by environment, JSON logs in a log group of bounded retention,
 * and the config file in the bundle.
 */
export class LifecycleFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: LifecycleFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    // Its own role, able to write to its own log group only (not the managed AWSLambdaBasicExecutionRole).
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `${id}: ${props.description}` });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      code: bundledHandler(props.handler, props.shippedConfigPath),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'hr-bitwarden-lifecycle',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        LIFECYCLE_CONFIG: './lifecycle.json',
        ...props.environment,
      },
    });
    Validations.of(this).acknowledge({ id: 'AwsSolutions::AwsSolutions-L1', reason: 'nodejs22.x is the runtime this product targets and tests (Powertools, SDK and middy versions are pinned for it).' });
    Validations.of(role).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'Active tracing: AWS X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions.' });
  }
}

/**
 * The handler's asset: built on this machine by scripts/bundle-handler.ts and fingerprinted by what it
 * built. Bundling needs no Docker; the image is only what CDK requires to be named, never pulled.
 */
function bundledHandler(handler: string, shippedConfigPath: string): Code {
  return Code.fromAsset(root, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      // CDK reuses a bundle whose options it has seen in this synth, and `local` (a function) is not
      // among them: these say which handler and config the bundle is.
      environment: { LIFECYCLE_HANDLER: handler, LIFECYCLE_CONFIG: shippedConfigPath },
      local: {
        tryBundle(outputDir) {
          const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'bundle-handler.ts'), '--handler', handler, '--outdir', outputDir, '--config', shippedConfigPath], { cwd: root, encoding: 'utf8' });
          if (run.status !== 0) throw new Error(`bundling the ${handler} handler failed: ${run.stderr || run.stdout}`);
          return true;
        },
      },
    },
  });
}
