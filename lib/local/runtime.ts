import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { loadConfigFile } from '../config/load.js';
import { ensureLocalSigningKey } from '../evidence/signer.js';
import { managedGroupNames } from '../policy/rules.js';
import { WORKER_TIMEOUT_SECONDS, type Lane } from '../queue/queues.js';
import { dynamoClient, sqsClient } from '../runtime/aws.js';
import { consoleLine } from '../notify/notifier.js';
import { deployDependencies, notifier, sweepDependencies, syncDependencies } from '../runtime/dependencies.js';
import { ingestDependencies } from '../runtime/ingest-dependencies.js';
import { scimDependencies } from '../runtime/scim-dependencies.js';
import { localScimKey, scimKeysVariable } from '../scim/auth.js';
import { readEnvironment } from '../runtime/env.js';
import { ReservedConcurrency } from '../runtime/function-url.js';
import { findSource, registeredSources } from '../sources/registry.js';
import { sourceVariable } from '../sources/source.js';
import { deployRules, type RulesDeployment } from '../rules/deploy-rules.js';
import { BitwardenEmulator, type BitwardenEmulatorOptions } from './bitwarden/emulator.js';
import { createQueues, createTables, type LocalQueue } from './bootstrap.js';
import { SourceApis } from './source-apis.js';
import { localContext } from './lambda-context.js';
import { startHttpServer, type FunctionUrlHandler } from './http-server.js';
import { withReservedConcurrency } from './reserved-concurrency.js';
import { startLocalServices } from './services.js';
import { SqsEventSource } from './sqs-event-source.js';

/** The local evidence key, beside the runtime file (.local/ is not committed). */
const LOCAL_EVIDENCE_KEY = '.local/evidence-signing-key.pem';

/**
 * Worker invocations at once per lane here. Every local invocation shares this process's one event
 * loop and the machine's cores with DynamoDB Local: measured on 2 cores, the stack's 4 on the normal
 * lane took 3.9 s a batch where 2 took 1.4 s, and the 1,000-hire wave 5.7 min instead of 4.6.
 */
const LOCAL_WORKER_CONCURRENCY = 2;

export interface LocalRuntimeOptions {
  /** HTTP port for webhooks; 0 picks a free one. */
  port: number;
  configPath: string;
  /** Reuse running servers (tests share one pair) instead of starting DynamoDB Local and fauxqs. */
  endpoints?: { dynamodb: string; sqs: string };
  /** Names tables and queues, so that several runtimes can share one pair of servers. */
  prefix?: string;
  /** Shorter in tests, so a failed message comes back quickly. */
  visibilityTimeoutSeconds?: number;
  /** Receives before a message is dead-lettered (the stack's: lib/queue/queues.ts); fewer in tests, so a dead letter comes in seconds. */
  maxReceiveCount?: number;
  /** Worker invocations at once on each lane (default 2; the stack's are in lib/queue/queues.ts). */
  workerConcurrency?: number;
  /** What each worker invocation is told it has (the stack's: lib/queue/queues.ts). */
  workerTimeoutSeconds?: number;
  /** The handlers' clock (tests move it; default: the real one). */
  clock?: () => Date;
  /** false: accept webhooks but leave the queues alone (tests read them directly). */
  startWorker?: boolean;
  /** How often the sweeper runs; 0: only when `sweep()` is called. */
  sweepIntervalSeconds?: number;
  /** The URL functions' reserved concurrency, their throttle (default: the stack's, lib/runtime/function-url.ts). */
  reservedConcurrency?: Partial<Record<keyof typeof ReservedConcurrency, number>>;
  /** Told how long each ingest or SCIM invocation ran: what Lambda would bill (the bench's cost). */
  onInvocation?: (handler: 'ingest' | 'scim', durationMs: number) => void;
}

export interface LocalRuntime {
  url: string;
  /** Present unless BITWARDEN_API_URL pointed the runtime at a real server. */
  bitwarden: BitwardenEmulator | null;
  /** The sources' read APIs (their emulators), for sources whose <NAME>_API_URL is not set. */
  sourceApis: SourceApis;
  /** One worker per lane, as one Lambda event source mapping per queue. */
  workers: Record<Lane, SqsEventSource>;
  queues: Record<Lane, LocalQueue>;
  /** Runs the sweeper once, now. */
  sweep(): Promise<{ due: number; released: number }>;
  /** Deploys the config file's rules again (npm start does on every save); rejects, changing nothing, when the file cannot be read or is invalid. */
  reloadRules(): Promise<RulesDeployment>;
  stop(): Promise<void>;
}

/**
 * `npm start`: the product on real local servers, with the very handlers Lambda runs. Starts (or
 * reuses) DynamoDB Local and the SQS emulator, creates the stack's tables and queues, loads the
 * rules, starts a Bitwarden emulator unless BITWARDEN_API_URL is set, serves webhooks over HTTP
 * and runs the worker as the SQS event source mapping would.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    // Every step runs even when one fails: a server that will not close must not keep DynamoDB Local and fauxqs running.
    const failures: unknown[] = [];
    for (const step of [...stops].reverse()) await step().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  try {
    const config = loadConfigFile(options.configPath);
    process.env.LIFECYCLE_CONFIG = options.configPath;
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

    let endpoints = options.endpoints;
    if (!endpoints) {
      const services = await startLocalServices();
      stops.push(services.stop);
      endpoints = services.endpoints;
    }
    // A crashed worker's lease must expire no later than its message becomes visible again.
    if (options.visibilityTimeoutSeconds) process.env.WORKER_LEASE_SECONDS = String(options.visibilityTimeoutSeconds);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
    process.env.AWS_ENDPOINT_URL_SQS = endpoints.sqs;

    const prefix = options.prefix ?? 'lifecycle';
    const dynamo = dynamoClient();
    Object.assign(process.env, await createTables(dynamo, prefix));
    const sqs = sqsClient();
    const { env: queueEnv, queues } = await createQueues(sqs, prefix, options.visibilityTimeoutSeconds, options.maxReceiveCount);
    Object.assign(process.env, queueEnv);


    let bitwarden: BitwardenEmulator | null = null;
    if (!process.env.BITWARDEN_API_URL) {
      // BITWARDEN_EMULATOR: JSON options for this run, e.g. {"rateLimits":true,"faults":{"latencyMs":50,"serverErrorRate":0.05}}.
      const emulatorOptions = JSON.parse(process.env.BITWARDEN_EMULATOR ?? '{}') as BitwardenEmulatorOptions;
      bitwarden = await new BitwardenEmulator({ ...emulatorOptions, groups: managedGroupNames(config.rules) }).start();
      stops.push(() => bitwarden!.stop());
      process.env.BITWARDEN_API_URL = bitwarden.url;
      process.env.BITWARDEN_IDENTITY_URL = bitwarden.url;
      process.env.BITWARDEN_CLIENT_ID = bitwarden.clientId;
      process.env.BITWARDEN_CLIENT_SECRET = bitwarden.clientSecret;
      // Like a self-hosted server, the emulator limits nothing unless asked to behave as the cloud.
      process.env.BITWARDEN_RATE_LIMITS = emulatorOptions.rateLimits ? 'cloud' : 'none';
    }
    // The key that signs evidence exports (lib/evidence/signer.ts), made once and kept: in AWS, the stack's KMS key.
    process.env.EVIDENCE_SIGNING_KEY ??= path.resolve(LOCAL_EVIDENCE_KEY);
    ensureLocalSigningKey(process.env.EVIDENCE_SIGNING_KEY);
    // Each source's local secret when none is set: local use only, never in AWS.
    for (const source of registeredSources()) process.env[source.secretEnvVar] ??= source.localSecret;
    // Each identity provider's local SCIM key, likewise (README, "Identity providers (SCIM)").
    for (const provider of config.scim.identityProviders) process.env[scimKeysVariable(provider)] ??= localScimKey(provider);

    const sourceApis = await SourceApis.start(registeredSources());
    stops.push(() => sourceApis.stop());
    for (const name of sourceApis.names()) {
      const source = findSource(name)!;
      if (process.env[sourceVariable(source, 'API_URL')]) continue;
      process.env[sourceVariable(source, 'API_URL')] = sourceApis.url(name);
      process.env[sourceVariable(source, 'API_CREDENTIALS')] = sourceApis.credentials(name);
    }

    // Read once, as a Lambda cold start reads its environment: everything above is set by now.
    const env = readEnvironment();
    // The same step `cdk deploy` runs: the rules table follows the file.
    let ruleCount = 0;
    // Async from the first step: a file gone mid-save rejects like a bad file instead of throwing out of npm start's watcher.
    const reloadRules = async () => {
      const deployment = await deployRules(loadConfigFile(options.configPath), options.configPath, deployDependencies(env, config));
      ruleCount = deployment.ruleCount;
      return deployment;
    };
    await reloadRules();

    // Imported only now: the handlers read their configuration from the environment set above.
    const [{ createIngestHandler }, { createWorkerHandler }, { createSweeperHandler }, { createScimHandler }] = await Promise.all([
      import('../../functions/ingest.js'),
      import('../../functions/worker.js'),
      import('../../functions/sweeper.js'),
      import('../../functions/scim.js'),
    ]);
    const clock = options.clock;
    const withClock = <T extends { now(): Date }>(dependencies: T): T => (clock ? { ...dependencies, now: clock } : dependencies);
    const ingest = createIngestHandler(() => withClock(ingestDependencies(env, config)));
    const scim = createScimHandler(() => withClock(scimDependencies(env, config)));
    // Notifications are printed as well as kept (`npx lifecycle events` lists them): locally, nobody subscribes to a topic.
    const told = notifier(env, [async (notification) => console.log(consoleLine(notification))]);
    const work = () => createWorkerHandler(() => withClock({ ...syncDependencies(env, config), notifier: told }));
    const sweeper = createSweeperHandler(() => withClock(sweepDependencies(env, config)));

    const workers = {} as Record<Lane, SqsEventSource>;
    for (const lane of Object.keys(queues) as Lane[]) {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues[lane].url, AttributeNames: ['QueueArn'] }));
      workers[lane] = new SqsEventSource(sqs, work, {
        queueUrl: queues[lane].url,
        queueArn: Attributes!.QueueArn!,
        functionName: `worker-${lane}`,
        timeoutSeconds: options.workerTimeoutSeconds ?? WORKER_TIMEOUT_SECONDS,
        concurrency: options.workerConcurrency ?? LOCAL_WORKER_CONCURRENCY,
      });
      if (options.startWorker !== false) workers[lane].start();
      stops.push(() => workers[lane].stop());
    }
    const sweep = () => sweeper({}, localContext('sweeper', 60)) as Promise<{ due: number; released: number }>;
    if (options.sweepIntervalSeconds) {
      const timer = setInterval(() => void sweep().catch((error: Error) => console.error(`sweep failed: ${error.message}`)), options.sweepIntervalSeconds * 1000);
      stops.push(async () => clearInterval(timer));
    }

    const reserved = { ...ReservedConcurrency, ...options.reservedConcurrency };
    const timed = (name: 'ingest' | 'scim', handler: FunctionUrlHandler): FunctionUrlHandler =>
      options.onInvocation
        ? async (event, context) => {
            const started = performance.now();
            try {
              return await handler(event, context);
            } finally {
              options.onInvocation!(name, performance.now() - started);
            }
          }
        : handler;
    const http = await startHttpServer(options.port, withReservedConcurrency(reserved.ingest, timed('ingest', ingest)), {
      '/healthz': () => ({ status: 'ok', bitwarden: process.env.BITWARDEN_API_URL, rules: ruleCount }),
      // What the emulated organization holds, for `npm run demo` and curious humans. Local only.
      ...(bitwarden ? { '/local/bitwarden/members': () => bitwarden!.allMembers() } : {}),
    }, undefined, withReservedConcurrency(reserved.scim, timed('scim', scim)));
    stops.push(() => http.close());

    return { url: http.url, bitwarden, sourceApis, workers, queues, sweep, reloadRules, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const randomPrefix = () => `t${randomBytes(4).toString('hex')}`;
