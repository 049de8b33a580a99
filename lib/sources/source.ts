import type { Entry } from 'ldapts';
import type * as z from '../vocabulary/zod.js';
import type { WorkerChange } from '../vocabulary/worker-change.js';
import type { ReadRosterPage } from './roster.js';
import type { WorkerRecord } from '../vocabulary/worker-record.js';

/** A webhook delivery as it arrived: header names lower-cased, the body as the exact bytes. */
export interface WebhookRequest {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** Why a delivery is refused; the ingest routes on this, never on the message text. */
export type RejectionReason = 'unknown-source' | 'too-large' | 'unsigned' | 'signature-mismatch' | 'stale-timestamp' | 'malformed';

const statusOf: Record<RejectionReason, 400 | 401 | 404 | 413> = {
  'unknown-source': 404,
  'too-large': 413,
  unsigned: 401,
  'signature-mismatch': 401,
  'stale-timestamp': 401,
  malformed: 400,
};

/** The answer to a delivery we refuse: a reason (hence an HTTP status) and a message that names what is wrong. */
export class WebhookRejection extends Error {
  override readonly name = 'WebhookRejection';
  readonly status: 400 | 401 | 404 | 413;
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.status = statusOf[reason];
  }
}

/** Every source's settings carry `enabled`; the rest is the source's own (its `settings` schema). */
export interface SourceSettings {
  enabled: boolean;
}

/** How a source reads a worker from its API: where, and with which credentials. */
export interface FetchContext<Settings> {
  apiUrl: string;
  /** The source's API credentials, in its documented form (see README). */
  credentials: string;
  settings: Settings;
  /** Reads the object at a location (a path, or `s3://bucket/key`): for sources whose roster is a file. */
  readObject?(location: string): Promise<Buffer>;
  /**
   * An LDAP client (lib/sources/ldap/directory.ts), for directories. Only what reads rosters is given
   * one (lib/runtime/roster-reader.ts), so the other functions do not bundle it.
   */
  searchDirectory?: SearchDirectory;
}

/** One search of an LDAP directory: entries under `base` that `filter` selects. */
export interface LdapSearch {
  base: string;
  filter: string;
  attributes: string[];
  /** Attributes to keep as bytes (objectGUID). */
  binary: string[];
}

/** One entry: each attribute as the server gave it, text or (for binary attributes) bytes. */
export type LdapEntry = Entry;

/** Binds to `url` and runs `searches` on one connection, each paged by `pageSize`: one list of entries per search. */
export type SearchDirectory = (url: string, bindDn: string, password: string, pageSize: number, searches: readonly LdapSearch[]) => Promise<LdapEntry[][]>;

/** The source's API answered that the worker does not exist (any more). */
export const WORKER_GONE = null;

/**
 * One source of people: an HR system today; identity providers and directories next. A source is
 * one folder under lib/sources: this object (its settings schema, signature scheme, record mapping
 * and API read), and beside it, for local runs and tests only, `emulator.ts` (its API). The config
 * schema, the ingest, the worker, the CLI, the local runtime and the CDK stack find it through the
 * registry and hand it only its own settings.
 */
export interface Source<Settings extends SourceSettings = SourceSettings> {
  /** The route segment (`POST /webhooks/{name}`), the config key under `providers`, and the prefix of its variables. */
  readonly name: string;
  /** The schema of `providers.<name>` in the config file, zod/mini's or classic zod's (a test's throwaway source): `Settings` is inferred from its output alone. */
  readonly settings: z.core.$ZodType<Settings> & { parse(data: unknown): NoInfer<Settings>; safeParse(data: unknown): z.core.util.SafeParseResult<NoInfer<Settings>> };
  /** False for a source that is only read (a roster file): it gets no webhook route and no webhook secret. */
  readonly takesWebhooks?: false;
  /** The variable holding its webhook secret(s); `<VAR>_ARN` names a Secrets Manager secret instead. */
  readonly secretEnvVar: string;
  /** The secret `npm start` uses when none is set: local use only, never in AWS. */
  readonly localSecret: string;
  /** A setup handshake (e.g. HiBob's ping) to answer 200 without verifying or enqueuing. */
  isHandshake?(request: WebhookRequest): boolean;
  /** Throws a WebhookRejection unless one of `secrets` signed this exact delivery within the allowed window. */
  verify(request: WebhookRequest, secrets: readonly string[], now: Date, settings: Settings): void;
  /** The worker changes in a verified delivery (none for events that concern no worker); a `malformed` rejection names a bad field. */
  parse(request: WebhookRequest, settings: Settings): WorkerChange[];
  /** Signs `body` as the source would send it: the sample delivery of the demo and `lifecycle plan --event`. */
  sign(body: Buffer, secret: string, now: Date, deliveryId: string): Record<string, string>;
  /** For thin events: the worker's current record from the source's API, or WORKER_GONE. */
  fetchWorker?(workerKey: string, context: FetchContext<Settings>): Promise<WorkerRecord | null>;
  /** The whole population, one page per call (`cursor` null: the first page), where the source's API can list it. */
  readRoster?(context: FetchContext<Settings>, cursor: string | null): ReturnType<ReadRosterPage>;
}

/** Declares a source with its settings type inferred from its schema. */
export const defineSource = <Settings extends SourceSettings>(source: Source<Settings>): Source<Settings> => source;

/** A source the config enables, with its settings from `providers.<name>`. */
export interface EnabledSource {
  source: Source;
  settings: SourceSettings;
}

/** A source that is only read (a directory): its settings and its roster read, nothing about webhooks. */
export interface RosterSource<Settings extends SourceSettings> extends Pick<Source<Settings>, 'name' | 'settings'> {
  readRoster: NonNullable<Source<Settings>['readRoster']>;
}

/**
 * Declares a roster-only source: it gets no webhook route and no webhook secret (`takesWebhooks:
 * false`), and the webhook members the rest of the product reads through `Source` refuse every
 * delivery, so such a source never writes them itself.
 */
export const defineRosterSource = <Settings extends SourceSettings>(source: RosterSource<Settings>): Source<Settings> => ({
  ...source,
  takesWebhooks: false,
  secretEnvVar: `${source.name.toUpperCase()}_WEBHOOK_SECRET`,
  localSecret: `the-${source.name}-source-takes-no-webhooks`,
  verify() {
    throw new WebhookRejection('unsigned', `the ${source.name} source takes no webhooks`);
  },
  parse: () => [],
  sign: () => ({}),
});

/** The environment variable of a source's setting, e.g. `BAMBOOHR_API_URL`. */
export const sourceVariable = (source: Pick<Source, 'name'>, suffix: 'API_URL' | 'API_CREDENTIALS') => `${source.name.toUpperCase()}_${suffix}`;
