import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, SIGNATURE_FILE, signedDigest, type EvidenceManifest, type ManifestSignature } from './export.js';
import { verifySignature, type VerificationKey } from './signer.js';

/** One file of an export as verify found it. */
export interface FileCheck {
  name: string;
  status: 'ok' | 'changed' | 'missing' | 'not in the manifest';
}

export interface Verification {
  verified: boolean;
  /** The key the signature was checked with (the one this verifier trusts). */
  key: string;
  /** The key the signature file says signed it (a claim, trusted only when the signature verifies with `key`). */
  signedBy: string | null;
  signature: 'valid' | 'invalid' | 'missing';
  files: FileCheck[];
  /** Each problem in one line, naming its file. */
  problems: string[];
}

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A JSON file of the export, or null when it is not JSON (it was damaged, or is not ours). */
function parsed<T>(bytes: Buffer): T | null {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * `evidence verify DIR`: the manifest's signature with the trusted key, then every file against its
 * digest and size in the manifest, and no file beside them that the manifest does not list. An
 * export verifies only when all hold: a changed byte anywhere, a file added or removed, or a
 * manifest rewritten to match a changed file (its signature then fails) is named.
 */
export async function verifyEvidence(dir: string, key: VerificationKey): Promise<Verification> {
  const problems: string[] = [];
  const read = (name: string) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name)) : null);
  const manifestBytes = read(MANIFEST_FILE);
  const signatureBytes = read(SIGNATURE_FILE);

  let signature: Verification['signature'] = 'missing';
  let signedBy: string | null = null;
  if (!signatureBytes) problems.push(`${SIGNATURE_FILE}: missing, so nothing says who wrote ${MANIFEST_FILE}`);
  else {
    const claimed = parsed<Partial<ManifestSignature>>(signatureBytes) ?? {};
    signedBy = typeof claimed.keyId === 'string' ? claimed.keyId : null;
    const valid = manifestBytes !== null && typeof claimed.signature === 'string' && verifySignature(signedDigest(manifestBytes), Buffer.from(claimed.signature, 'base64'), await key.publicKey());
    signature = valid ? 'valid' : 'invalid';
    if (!valid) problems.push(`${MANIFEST_FILE}: its signature does not verify with key ${key.keyId}${signedBy && signedBy !== key.keyId ? ` (it claims key ${signedBy})` : ''}: the manifest was changed, or another key signed it`);
  }

  const files: FileCheck[] = [];
  const manifest = manifestBytes ? parsed<EvidenceManifest>(manifestBytes) : null;
  if (!manifest || !Array.isArray(manifest.files)) problems.push(`${MANIFEST_FILE}: ${manifestBytes ? 'not a manifest of this product' : 'missing'}`);
  else {
    for (const listed of manifest.files) {
      const bytes = read(listed.name);
      const status = !bytes ? 'missing' : bytes.length !== listed.bytes || digest(bytes) !== listed.sha256 ? 'changed' : 'ok';
      files.push({ name: listed.name, status });
      if (status !== 'ok') problems.push(`${listed.name}: ${status === 'missing' ? 'missing' : `changed: its SHA-256 is not the manifest's ${listed.sha256}`}`);
    }
    const known = new Set([MANIFEST_FILE, SIGNATURE_FILE, ...manifest.files.map((file) => file.name)]);
    for (const name of readdirSync(dir).filter((entry) => !known.has(entry)).sort()) {
      files.push({ name, status: 'not in the manifest' });
      problems.push(`${name}: not in the manifest`);
    }
  }
  return { verified: problems.length === 0, key: key.keyId, signedBy, signature, files, problems };
}
