import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What signs an evidence manifest, behind one interface so the same export runs in the CLI against
 * a deployed stack (its asymmetric KMS key), under `npm start` (a local key file) and in tests.
 * Every signer makes ECDSA P-256 signatures over the SHA-256 of a message (KMS's ECDSA_SHA_256 on an
 * ECC_NIST_P256 key), DER-encoded, so any of them is checked the same way: with the key's public half.
 */
export interface Signer {
  /** Names the key in the signature and in `evidence verify`: a KMS key ARN, or `local:<fingerprint>`. */
  readonly keyId: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
  publicKey(): Promise<KeyObject>;
}

/** The key `evidence verify` trusts: the signer's own, or a public key an auditor was given. */
export type VerificationKey = Pick<Signer, 'keyId' | 'publicKey'>;

export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** The variable (and, as a stack output, lib/cli/stack-target.ts) naming the deployed stack's evidence key, a KMS key ARN. */
export const EVIDENCE_KMS_KEY_VARIABLE = 'EVIDENCE_KMS_KEY_ID';

/** SHA-256 of the key's SubjectPublicKeyInfo (DER), hex: the same key has the same fingerprint however it is stored. */
export const keyFingerprint = (publicKey: KeyObject): string => createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

export function verifySignature(message: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    // A signature that is not even DER is simply not valid.
    return false;
  }
}

/** A signer holding its private key in a PEM file (PKCS#8): `npm start`'s evidence key. */
export function localKeySigner(file: string): Signer {
  const privateKey = createPrivateKey(readFileSync(file));
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: `local:${keyFingerprint(publicKey).slice(0, 16)}`,
    sign: async (message) => sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }),
    publicKey: async () => publicKey,
  };
}

/** A public key in a PEM file, for an auditor who verifies without access to the key itself. */
export function publicKeyFile(file: string): VerificationKey {
  const publicKey = createPublicKey(readFileSync(file));
  return { keyId: `${path.basename(file)} (sha256 ${keyFingerprint(publicKey).slice(0, 16)})`, publicKey: async () => publicKey };
}

/** Creates the local evidence key once (P-256, readable by this user only); an existing key is kept, so earlier exports still verify. */
export function ensureLocalSigningKey(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another runtime started at the same moment wrote it first: theirs is the key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** What the KMS adapter needs of the AWS SDK's KMS client (Sign and GetPublicKey), so it can be given any implementation. */
export interface KmsSigningApi {
  sign(input: { KeyId: string; Message: Uint8Array; MessageType: 'RAW'; SigningAlgorithm: typeof SIGNING_ALGORITHM }): Promise<{ Signature?: Uint8Array; KeyId?: string }>;
  getPublicKey(input: { KeyId: string }): Promise<{ PublicKey?: Uint8Array; KeyId?: string }>;
}

/**
 * A signer whose private key never leaves KMS (an ECC_NIST_P256 SIGN_VERIFY key). The message is
 * sent as is (MessageType RAW, at most 4096 bytes: the export signs a 32-byte digest), and KMS
 * hashes it with SHA-256 and answers a DER ECDSA signature, exactly what node:crypto makes and
 * checks, with the public key from GetPublicKey (SubjectPublicKeyInfo, DER).
 */
export function kmsSigner(kms: KmsSigningApi, keyId: string): Signer {
  let publicKey: Promise<KeyObject> | undefined;
  return {
    keyId,
    async sign(message) {
      const { Signature } = await kms.sign({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: SIGNING_ALGORITHM });
      if (!Signature) throw new Error(`KMS returned no signature for key ${keyId}`);
      return Signature;
    },
    publicKey: () =>
      (publicKey ??= kms.getPublicKey({ KeyId: keyId }).then(({ PublicKey }) => {
        if (!PublicKey) throw new Error(`KMS returned no public key for key ${keyId}`);
        return createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' });
      })),
  };
}
