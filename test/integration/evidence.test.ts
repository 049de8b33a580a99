import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, SIGNATURE_FILE, signedDigest, type EvidenceManifest, type ManifestSignature } from '../../lib/evidence/export.js';
import { kmsSigner, localKeySigner, verifySignature, type KmsSigningApi } from '../../lib/evidence/signer.js';
import { verifyEvidence } from '../../lib/evidence/verify.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { AuditLog, type AuditEntry } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { runCli } from '../support/cli.js';
import { worker } from '../support/generic-events.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** The auditors' export: signed, complete for its period, and every change to it detected by `evidence verify`. */
let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

/** One byte changed (one bit of the middle byte), or, in an empty file (a CSV without rows), one byte added. */
const flipByte = (file: string) => {
  const bytes = readFileSync(file);
  if (bytes.length === 0) return writeFileSync(file, '\n');
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  writeFileSync(file, bytes);
};
const copyOf = (dir: string) => {
  const copy = mkdtempSync(path.join(tmpdir(), 'evidence-copy-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
};
const localKey = () => localKeySigner(readEnvironment().variables.EVIDENCE_SIGNING_KEY!);

describe('evidence export and verify', () => {
  const [ana, ben] = [worker({ department: 'Engineering' }), worker({ department: 'Sales' })];
  let exported = '';
  let manifest: EvidenceManifest;
  let secondHalfFrom = '';

  beforeAll(async () => {
    await runtime.deliver('worker.hired', ana);
    await runtime.deliver('worker.hired', ben);
    secondHalfFrom = new Date().toISOString();
    await runtime.deliver('worker.updated', { ...ana, department: 'Sales' });
    await runtime.deliver('worker.terminated', { ...ana, status: 'terminated', terminationDate: '2026-01-01' });
    exported = mkdtempSync(path.join(tmpdir(), 'evidence-'));
    const run = await runCli<EvidenceManifest>('evidence', 'export', '--out', exported);
    expect(run.status).toBe(0);
    manifest = run.json;
  });

  it('holds every audit entry of the period, not only each worker’s last action', async () => {
    const audit = new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit));
    const stored = [...(await audit.forWorker(ana.externalId)), ...(await audit.forWorker(ben.externalId))];
    const trail = JSON.parse(readFileSync(path.join(exported, 'audit-trail.json'), 'utf8')) as AuditEntry[];
    const key = (entry: Pick<AuditEntry, 'workerKey' | 'at' | 'outcome' | 'action' | 'deliveryId'>) => [entry.workerKey, entry.at, entry.outcome, entry.action, entry.deliveryId].join('|');
    expect(trail.map(key).sort()).toEqual(stored.map(key).sort());
    // Ana's invite, regroup and revocation are all there, each applied, oldest first.
    const anas = trail.filter((entry) => entry.workerKey === ana.externalId && entry.outcome === 'applied' && entry.action !== 'none').map((entry) => entry.action);
    expect(anas).toEqual(['invite', 'set-groups', 'revoke']);
    expect(trail.map((entry) => entry.at)).toEqual(trail.map((entry) => entry.at).sort());
    expect(manifest.counts['audit-trail']).toBe(stored.length);
    expect(Date.parse(manifest.period.to)).toBeGreaterThan(Date.parse(manifest.period.from));
    expect(readFileSync(path.join(exported, 'audit-trail.csv'), 'utf8').trim().split('\n')).toHaveLength(stored.length + 1);
  });

  it('names its period: --from leaves out what came before, and a bad date is a usage error', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'evidence-period-'));
    const { status, json } = await runCli<EvidenceManifest>('evidence', 'export', '--out', out, '--from', secondHalfFrom);
    expect(status).toBe(0);
    expect(json.period.from).toBe(secondHalfFrom);
    const trail = JSON.parse(readFileSync(path.join(out, 'audit-trail.json'), 'utf8')) as AuditEntry[];
    expect(trail.length).toBeGreaterThan(0);
    expect(trail.every((entry) => entry.at >= secondHalfFrom && entry.workerKey === ana.externalId)).toBe(true);
    const bad = await runCli<{ error: string }>('evidence', 'export', '--out', out, '--from', '2026-02-30');
    expect(bad.status).toBe(2);
    expect(bad.json.error).toContain('--from "2026-02-30"');
  });

  it('verifies an untouched export, and says with which key', async () => {
    const { status, json } = await runCli<{ verified: boolean; key: string; signedBy: string; signature: string; files: Array<{ status: string }> }>('evidence', 'verify', exported);
    expect(status).toBe(0);
    expect(json).toMatchObject({ verified: true, signature: 'valid', key: localKey().keyId, signedBy: localKey().keyId });
    expect(json.key).toMatch(/^local:[0-9a-f]{16}$/);
    expect(json.files.map((file) => file.status)).toEqual(manifest.files.map(() => 'ok'));
  });

  it('fails when one byte of any file changes, naming that file', async () => {
    for (const { name } of manifest.files) {
      const copy = copyOf(exported);
      flipByte(path.join(copy, name));
      const result = await verifyEvidence(copy, localKey());
      expect(result.verified, name).toBe(false);
      expect(result.signature, name).toBe('valid');
      expect(result.problems, name).toEqual([`${name}: changed: its SHA-256 is not the manifest's ${manifest.files.find((file) => file.name === name)!.sha256}`]);
    }
    // Through the command: exit 1, the file named, the per-file results in the JSON.
    const copy = copyOf(exported);
    flipByte(path.join(copy, 'members.csv'));
    const { status, json } = await runCli<{ error: string; files: Array<{ name: string; status: string }> }>('evidence', 'verify', copy);
    expect(status).toBe(1);
    expect(json.error).toContain('members.csv: changed');
    expect(json.files.find((file) => file.name === 'members.csv')?.status).toBe('changed');
  });

  it('fails on a forged manifest: rewritten to match a changed file, or re-signed with another key', async () => {
    const copy = copyOf(exported);
    const drift = path.join(copy, 'workers.json');
    writeFileSync(drift, '[]\n');
    const forged = JSON.parse(readFileSync(path.join(copy, MANIFEST_FILE), 'utf8')) as EvidenceManifest;
    const entry = forged.files.find((file) => file.name === 'workers.json')!;
    Object.assign(entry, { bytes: 3, sha256: createHash('sha256').update('[]\n').digest('hex') });
    const forgedBytes = Buffer.from(`${JSON.stringify(forged, null, 2)}\n`);
    writeFileSync(path.join(copy, MANIFEST_FILE), forgedBytes);
    const rewritten = await verifyEvidence(copy, localKey());
    expect(rewritten).toMatchObject({ verified: false, signature: 'invalid', files: expect.not.arrayContaining([expect.objectContaining({ status: 'changed' })]) });
    expect(rewritten.problems).toEqual([expect.stringMatching(/^manifest\.json: its signature does not verify with key local:/)]);

    // The forger signs the forged manifest with a key of their own, and claims it is ours.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const claimed: ManifestSignature = { file: MANIFEST_FILE, algorithm: 'ECDSA_SHA_256', keyId: localKey().keyId, signature: sign('sha256', signedDigest(forgedBytes), { key: privateKey, dsaEncoding: 'der' }).toString('base64') };
    writeFileSync(path.join(copy, SIGNATURE_FILE), JSON.stringify(claimed));
    const { status, json } = await runCli<{ error: string; signature: string }>('evidence', 'verify', copy);
    expect(status).toBe(1);
    expect(json.signature).toBe('invalid');
    expect(json.error).toContain('manifest.json: its signature does not verify');
  });

  it('fails on a file added or removed, naming it', async () => {
    const copy = copyOf(exported);
    writeFileSync(path.join(copy, 'extra.csv'), 'a\n');
    const removed = manifest.files[0]!.name;
    const files = readdirSync(copy);
    expect(files).toContain(removed);
    rmSync(path.join(copy, removed));
    const result = await verifyEvidence(copy, localKey());
    expect(result.problems.sort()).toEqual([`${removed}: missing`, 'extra.csv: not in the manifest'].sort());
  });

  it('verifies offline with the public key an auditor was given (--public-key)', async () => {
    const pem = path.join(mkdtempSync(path.join(tmpdir(), 'evidence-key-')), 'evidence.pub.pem');
    writeFileSync(pem, (await localKey().publicKey()).export({ type: 'spki', format: 'pem' }));
    const { status, json } = await runCli<{ verified: boolean; key: string }>('evidence', 'verify', exported, '--public-key', pem);
    expect(status).toBe(0);
    expect(json).toMatchObject({ verified: true, key: expect.stringMatching(/^evidence\.pub\.pem \(sha256 [0-9a-f]{16}\)$/) });
  });
});

describe('the KMS signer', () => {
  it('asks KMS to sign the message as sent (RAW, ECDSA_SHA_256), and its DER signature verifies with the public key GetPublicKey gives', async () => {
    // KMS's Sign with MessageType RAW hashes the message with SHA-256 and signs it; GetPublicKey answers the DER SubjectPublicKeyInfo.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const calls: Array<Parameters<KmsSigningApi['sign']>[0]> = [];
    const kms: KmsSigningApi = {
      sign: async (input) => {
        calls.push(input);
        if (input.Message.length > 4096) throw new Error('ValidationException: Message is longer than 4096 bytes');
        return { Signature: sign('sha256', input.Message, { key: privateKey, dsaEncoding: 'der' }), KeyId: input.KeyId };
      },
      getPublicKey: async ({ KeyId }) => ({ PublicKey: publicKey.export({ type: 'spki', format: 'der' }), KeyId }),
    };
    const arn = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const signer = kmsSigner(kms, arn);
    const digest = signedDigest(Buffer.from('{"files":[]}\n'));
    const signature = await signer.sign(digest);
    expect(calls).toEqual([{ KeyId: arn, Message: digest, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }]);
    expect(verifySignature(digest, signature, await signer.publicKey())).toBe(true);
    expect(verifySignature(signedDigest(Buffer.from('{"files":[1]}\n')), signature, await signer.publicKey())).toBe(false);
    expect(signer.keyId).toBe(arn);
  });
});
