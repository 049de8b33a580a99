import fc from 'fast-check';
import type { Source } from '../../../lib/sources/source.js';
import { evolve, newPerson, type Person } from './people.js';
import type { ProviderFormat } from './providers.js';
import type { Random } from './random.js';

/**
 * What a delivery is meant to test, which decides what its answer may be (test/support/fuzz/checker.ts):
 * - valid: a provider's event, signed as the provider signs it;
 * - semantic: its body broken (huge, odd, wrong types, not JSON) before signing: any documented answer;
 * - tampered: changed after signing (body bytes, signature, headers, timestamp): must be refused;
 * - forged: signed with another secret or scheme, or not at all: must be refused;
 * - replay: an accepted delivery again (as sent, re-spelled, re-signed): must not be accepted again;
 * - twin: a valid delivery sent twice at the same moment: at most one may be accepted;
 * - route: a valid delivery to a path that names no provider: must be refused;
 * - ignored: a verified event about no worker, or HiBob's setup ping: 200, nothing enqueued.
 */
export type DeliveryKind = 'valid' | 'semantic' | 'tampered' | 'forged' | 'replay' | 'twin' | 'route' | 'ignored';

export interface Delivery {
  /** Its number in the provider's run: with the seed, what names it in a report. */
  id: number;
  provider: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  kind: DeliveryKind;
  variant: string;
  /** A twin's sibling: the two are sent at once. */
  twinOf?: number;
}

/** Signs a body as some source would: the provider's own signer, or another's (forgeries). */
export type Signer = (body: Buffer, now: Date, deliveryId: string) => Record<string, string>;

export interface GeneratorOptions {
  format: ProviderFormat;
  source: Source;
  /** The secret the runtime verifies this provider's deliveries with. */
  secret: string;
  /** Other providers' signers, with their own secrets: a forgery that is validly signed, for the wrong provider. */
  otherSigners: readonly Signer[];
  /** The provider's API emulator's records (thin providers), which the worker's fetch reads. */
  apiRecords: Map<string, Record<string, unknown>> | null;
  /** How many workers the provider's HR system holds: events pick among them, so each worker sees a history. */
  populationSize: number;
  random: Random;
}

const MAX_REMEMBERED = 400;

/**
 * Worker keys that test the edges: dot segments (API paths), the 128-character FIFO group limit and
 * one past it, characters SQS refuses in a MessageGroupId, controls, bidi overrides, whitespace.
 */
const oddKeys = ['.', '..', ' ', 'a'.repeat(128), 'b'.repeat(129), '../../admin', 'x/y', 'a?b#c', '%2e%2e', 'é', '😀', '\u0000', '0', '-1', 'ＡＢＣ', '\u202egnp.exe', 'a b', "O'Brien", 'null'];
const oddTexts = ['', ' ', '\u0000', '\ud800', '\u202e', '\ufeff', 'A\u0301', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '👩‍👩‍👧‍👦', '\u00a0', 'null', '<script>', "'; DROP TABLE", '%s%n', '0000-00-00', '2024-02-30', '9999-12-31', '\n\r\t'];

export class DeliveryGenerator {
  private readonly population: Person[] = [];
  private readonly accepted: Delivery[] = [];
  private sequence = 0;

  constructor(private readonly options: GeneratorOptions) {}

  private get random() {
    return this.options.random;
  }

  private get format() {
    return this.options.format;
  }

  /** An accepted delivery, kept to be replayed later. */
  remember(delivery: Delivery): void {
    if (this.accepted.length < MAX_REMEMBERED) this.accepted.push(delivery);
    else this.accepted[this.random.int(0, MAX_REMEMBERED - 1)] = delivery;
  }

  /** At least `size` deliveries; twins come in adjacent pairs. */
  batch(size: number): Delivery[] {
    const deliveries: Delivery[] = [];
    while (deliveries.length < size) deliveries.push(...this.next());
    return deliveries;
  }

  private next(): Delivery[] {
    const kind = this.random.weighted<DeliveryKind>([
      ['valid', 44],
      ['semantic', 18],
      ['tampered', 15],
      ['forged', 7],
      ['replay', this.accepted.length > 0 ? 8 : 0],
      ['twin', 3],
      ['route', 1.5],
      ['ignored', 3.5],
    ]);
    switch (kind) {
      case 'valid':
        return [this.valid()];
      case 'semantic':
        return [this.semantic()];
      case 'tampered':
        return [this.tampered()];
      case 'forged':
        return [this.forged()];
      case 'replay':
        return [this.replay()];
      case 'twin': {
        const first = this.valid();
        return [first, { ...first, id: this.sequence++, kind: 'twin', variant: 'sent at once', twinOf: first.id }];
      }
      case 'route':
        return [this.misrouted()];
      case 'ignored':
        return [this.ignored()];
    }
  }

  private delivery(kind: DeliveryKind, variant: string, body: Buffer, headers: Record<string, string>, path = `/webhooks/${this.format.name}`): Delivery {
    return { id: this.sequence++, provider: this.format.name, path, headers, body, kind, variant };
  }

  private sign(body: Buffer, now = new Date()): Record<string, string> {
    return this.options.source.sign(body, this.options.secret, now, this.format.newDeliveryId(this.random));
  }

  /** A worker of the population, as the HR system now holds them (a new one while the population grows). */
  private nextPerson(): Person {
    if (this.population.length < this.options.populationSize) {
      const person = newPerson(this.random, this.format.newKey(this.random));
      this.population.push(person);
      return person;
    }
    const index = this.random.int(0, this.population.length - 1);
    this.population[index] = evolve(this.random, this.population[index]!);
    return this.population[index]!;
  }

  /**
   * The provider's API follows the HR system: it holds the person, or (a deletion, or now and then
   * without one) no longer does, so that the worker's fetch also meets a 404.
   */
  private publish(person: Person, removed: boolean): void {
    const { apiRecords, format } = this.options;
    if (!apiRecords || !format.apiRecord) return;
    if (removed || this.random.chance(0.1)) apiRecords.delete(person.key);
    else apiRecords.set(person.key, format.apiRecord(person));
  }

  /** A valid event body (as JSON) about one worker, or several for BambooHR, with the API updated to match. */
  private validEvent(people = [this.nextPerson()]): unknown {
    const now = Date.now();
    const changes = people.map((person) => ({ person, removed: this.format.apiRecord !== undefined && this.random.chance(0.08) }));
    for (const { person, removed } of changes) this.publish(person, removed);
    if (changes.length > 1 && this.format.eventForMany) return this.format.eventForMany(this.random, changes, now);
    return this.format.event(this.random, changes[0]!.person, now, changes[0]!.removed);
  }

  private valid(): Delivery {
    const several = this.format.eventForMany && this.random.chance(0.15);
    const event = several ? this.validEvent(Array.from({ length: this.random.int(2, 5) }, () => this.nextPerson())) : this.validEvent();
    const body = Buffer.from(JSON.stringify(event));
    return this.delivery('valid', several ? 'several workers' : 'one worker', body, this.sign(body));
  }

  /** A body broken in one way, then correctly signed: the parser's turn. */
  private semantic(): Delivery {
    const variant = this.random.pick(['huge-string', 'odd-unicode', 'nested-junk', 'deep-nesting', 'number-for-string', 'drop-field', 'wrong-root', 'not-json', 'bom', 'duplicate-key', 'empty-body', 'odd-worker-key', 'many-changes']);
    const body = this.brokenBody(variant);
    return this.delivery('semantic', variant, body, this.sign(body));
  }

  private brokenBody(variant: string): Buffer {
    const random = this.random;
    const event = this.validEvent();
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    switch (variant) {
      case 'huge-string':
        // Past the record's 256-character cap, past a kilobyte of JSON, and past SQS's 256 KiB.
        return json(replaceAt(event, random, 'string', () => 'x'.repeat(random.pick([257, 5_000, 70_000, 270_000]))));
      case 'odd-unicode':
        return json(replaceAt(event, random, 'string', () => (random.chance(0.5) ? random.pick(oddTexts) : random.sample(fc.string({ unit: 'binary', maxLength: 40 })))));
      case 'nested-junk':
        return json(replaceAt(event, random, 'any', () => random.sample(fc.jsonValue({ maxDepth: 6 }))));
      case 'deep-nesting': {
        const depth = random.int(500, 20_000);
        const marker = `@@deep${random.hex(8)}@@`;
        return Buffer.from(JSON.stringify(replaceAt(event, random, 'any', () => marker)).replace(`"${marker}"`, '['.repeat(depth) + ']'.repeat(depth)));
      }
      case 'number-for-string':
        return json(replaceAt(event, random, 'string', () => random.pick<unknown>([0, -1, 1e308, 3.14, true, null, [], {}, ['a'], { value: 1 }])));
      case 'drop-field':
        return json(replaceAt(event, random, 'any', () => DROP));
      case 'wrong-root':
        return json(random.pick<unknown>([null, [], [event], 'text', 42, true, {}]));
      case 'not-json':
        return Buffer.from(random.chance(0.5) ? random.sample(fc.uint8Array({ maxLength: 600 })) : Buffer.from(random.sample(fc.string({ maxLength: 300 }))));
      case 'bom':
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(event)]);
      case 'duplicate-key': {
        // JSON.parse keeps the last of two equal keys; which one is junk varies.
        const text = JSON.stringify(event);
        const first = /^\{"([^"]+)":/.exec(text)?.[1] ?? 'type';
        const junk = JSON.stringify(random.sample(fc.jsonValue({ maxDepth: 2 })) ?? null);
        return Buffer.from(random.chance(0.5) ? `{"${first}":${junk},${text.slice(1)}` : `${text.slice(0, -1)},"${first}":${junk}}`);
      }
      case 'empty-body':
        return Buffer.alloc(0);
      case 'odd-worker-key': {
        const person = newPerson(random, random.chance(0.7) ? random.pick(oddKeys) : random.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 })));
        this.publish(person, false);
        return json(this.format.event(random, person, Date.now(), false));
      }
      case 'many-changes': {
        // The ingest takes at most 100 changes per delivery (413 beyond); only BambooHR sends several.
        if (!this.format.eventForMany) return json(replaceAt(event, random, 'string', () => 'y'.repeat(300_000)));
        const people = Array.from({ length: random.int(95, 130) }, () => ({ person: newPerson(random, this.format.newKey(random)), removed: false }));
        return json(this.format.eventForMany(random, people, Date.now()));
      }
      default:
        throw new Error(`no body mutation "${variant}"`);
    }
  }

  /** A valid delivery changed after it was signed: no longer what its signature covers. */
  private tampered(): Delivery {
    const original = this.valid();
    const { format, random } = this;
    const body = Buffer.from(original.body);
    const headers = { ...original.headers };
    const timestamped = format.timestamp;
    const variants = ['flip-byte', 'insert-byte', 'delete-byte', 'truncate', 'append-space', 'corrupt-signature', 'drop-header', 'empty-signature', 'garbage-signature', ...(timestamped ? ['stale', 'future', 'move-timestamp'] : []), ...(format.name === 'generic' || format.name === 'finch' ? ['change-id'] : [])];
    const variant = random.pick(variants);
    const at = random.int(0, Math.max(0, body.length - 1));
    switch (variant) {
      case 'flip-byte':
        body[at] = body[at]! ^ (1 << random.int(0, 7));
        return this.delivery('tampered', variant, body, headers);
      case 'insert-byte':
        return this.delivery('tampered', variant, Buffer.concat([body.subarray(0, at), Buffer.from([random.int(0, 255)]), body.subarray(at)]), headers);
      case 'delete-byte':
        return this.delivery('tampered', variant, Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]), headers);
      case 'truncate':
        return this.delivery('tampered', variant, body.subarray(0, at), headers);
      case 'append-space':
        // The same JSON, other bytes: signatures cover bytes, not meaning.
        return this.delivery('tampered', variant, Buffer.concat([body, Buffer.from(random.pick([' ', '\n', '\r\n']))]), headers);
      case 'corrupt-signature':
        headers[format.signatureHeader] = corruptSignature(headers[format.signatureHeader]!, random);
        return this.delivery('tampered', variant, body, headers);
      case 'drop-header':
        delete headers[random.pick(format.signedHeaders)];
        return this.delivery('tampered', variant, body, headers);
      case 'empty-signature':
        headers[format.signatureHeader] = random.pick(['', 'v1,', '=', '==']);
        return this.delivery('tampered', variant, body, headers);
      case 'garbage-signature':
        headers[format.signatureHeader] = random.sample(fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 120 }));
        return this.delivery('tampered', variant, body, headers);
      case 'stale':
      case 'future': {
        // Correctly signed, at a time outside the window.
        const offset = (timestamped!.toleranceSeconds + random.int(5, 86_400)) * 1000 * (variant === 'stale' ? -1 : 1);
        const resigned = this.options.source.sign(body, this.options.secret, new Date(Date.now() + offset), this.format.newDeliveryId(random));
        return this.delivery('tampered', variant, body, resigned);
      }
      case 'move-timestamp':
        headers[timestamped!.header] = String(Number(headers[timestamped!.header]) + random.pick([-1, 1, 60]));
        return this.delivery('tampered', variant, body, headers);
      case 'change-id': {
        const idHeader = format.signedHeaders[0]!;
        headers[idHeader] = `${headers[idHeader]}x`;
        return this.delivery('tampered', variant, body, headers);
      }
      default:
        throw new Error(`no tampering "${variant}"`);
    }
  }

  private forged(): Delivery {
    const variant = this.random.pick(['wrong-secret', 'unsigned', 'other-provider']);
    const body = Buffer.from(JSON.stringify(this.validEvent()));
    if (variant === 'unsigned') return this.delivery('forged', variant, body, { 'content-type': 'application/json' });
    if (variant === 'other-provider') return this.delivery('forged', variant, body, this.random.pick(this.options.otherSigners)(body, new Date(), this.format.newDeliveryId(this.random)));
    // Same format as the real secret (base64 where the scheme decodes it), other bytes.
    const base64 = Buffer.from(this.random.hex(32), 'hex').toString('base64');
    const secret = this.format.name === 'generic' ? `whsec_${base64}` : this.format.name === 'finch' ? base64 : `forged-${this.random.hex(16)}`;
    return this.delivery('forged', variant, body, this.options.source.sign(body, secret, new Date(), this.format.newDeliveryId(this.random)));
  }

  private replay(): Delivery {
    const original = this.random.pick(this.accepted);
    const headers = { ...original.headers };
    const resignable = this.format.name === 'generic' || this.format.name === 'finch';
    const variant = this.random.pick(['as sent', 'signature re-spelled', ...(resignable ? ['re-signed now'] : [])]);
    if (variant === 'signature re-spelled') headers[this.format.signatureHeader] = this.format.respell(headers[this.format.signatureHeader]!, this.random);
    if (variant === 're-signed now') {
      // A sender's retry: same id, same body, a fresh timestamp and signature. Still the same delivery.
      const idHeader = this.format.signedHeaders[0]!;
      Object.assign(headers, this.options.source.sign(original.body, this.options.secret, new Date(), headers[idHeader]!));
    }
    return this.delivery('replay', `${variant} (of #${original.id})`, original.body, headers);
  }

  private misrouted(): Delivery {
    const { body, headers } = this.valid();
    const path = this.random.pick([`/webhooks/${this.format.name}-unknown`, `/webhooks/${this.format.name.toUpperCase()}`, `/webhooks/${this.format.name}/extra`, '/webhooks/%E0%A4%A', '/webhooks/..%2F', '/webhooks/']);
    return this.delivery('route', path, body, headers, path);
  }

  private ignored(): Delivery {
    if (this.format.name === 'hibob' && this.random.chance(0.4)) {
      // The setup ping is answered before any signature check, signed or not.
      const body = Buffer.from(this.random.pick(['Ping test', '"Ping test"', '{"text":"Ping test"}', ' Ping test\n']));
      return this.delivery('ignored', 'handshake', body, this.random.chance(0.5) ? this.sign(body) : { 'content-type': 'text/plain' });
    }
    if (!this.format.otherEvent) return this.valid();
    const body = Buffer.from(JSON.stringify(this.format.otherEvent(this.random, Date.now())));
    return this.delivery('ignored', 'event about no worker', body, this.sign(body));
  }
}

const DROP = Symbol('drop');

/** A copy of `value` with one node (`any`) or one string leaf (`string`) replaced by `make()`, or removed for DROP. */
function replaceAt(value: unknown, random: Random, target: 'any' | 'string', make: () => unknown): unknown {
  const paths: Array<Array<string | number>> = [];
  const walk = (node: unknown, path: Array<string | number>) => {
    if (path.length > 0 && (target === 'any' || typeof node === 'string')) paths.push(path);
    if (node && typeof node === 'object') for (const [key, child] of Object.entries(node)) walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
  };
  walk(value, []);
  if (paths.length === 0) return make();
  const path = random.pick(paths);
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const replacement = make();
  if (replacement === DROP) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** Changes one character of a signature's data (not its prefix, not its last characters, whose bits may be padding). */
function corruptSignature(signature: string, random: Random): string {
  const start = signature.startsWith('v1,') ? 3 : 0;
  const end = Math.max(start + 1, signature.replace(/=+$/, '').length - 2);
  const at = random.int(start, end - 1);
  const alphabet = /^[0-9a-f]+$/i.test(signature) ? '0123456789abcdef' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const current = signature[at]!.toLowerCase();
  const replacement = [...alphabet].filter((char) => char.toLowerCase() !== current);
  return signature.slice(0, at) + random.pick(replacement) + signature.slice(at + 1);
}
