import { exportEvidence, SIGNATURE_FILE } from '../evidence/export.js';
import { EVIDENCE_KMS_KEY_VARIABLE, kmsSigner, localKeySigner, publicKeyFile, type KmsSigningApi, type Signer } from '../evidence/signer.js';
import { verifyEvidence } from '../evidence/verify.js';
import { instantOf } from '../policy/instants.js';
import { reconcile } from '../reconcile/reconcile.js';
import { syncDependencies } from '../runtime/dependencies.js';
import { reconcileWithRosters } from '../runtime/reconcile-dependencies.js';
import { MissingSettingError, type Environment } from '../runtime/env.js';
import { readRecordDate } from '../vocabulary/dates.js';
import type { CliContext } from './context.js';
import { ExitCode, UsageError } from './errors.js';
import { progress, progressDone } from './output.js';

/**
 * `evidence export` and `evidence verify`. The key that signs and verifies: the deployed stack's
 * KMS key (its EVIDENCE_KMS_KEY_ID output) with --stack or in the environment, else the local key `npm start` created
 * (EVIDENCE_SIGNING_KEY, lib/local/runtime.ts).
 */

/** The AWS SDK's KMS client as KmsSigningApi, loaded only to sign or verify with a stack's key. */
async function kmsApi(): Promise<KmsSigningApi> {
  const { KMSClient, SignCommand, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
  const client = new KMSClient({});
  return { sign: (input) => client.send(new SignCommand(input)), getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)) };
}

async function evidenceKey(env: Environment): Promise<Signer> {
  const kmsKey = env.variables[EVIDENCE_KMS_KEY_VARIABLE];
  if (kmsKey) return kmsSigner(await kmsApi(), kmsKey);
  const file = env.variables.EVIDENCE_SIGNING_KEY;
  if (!file) throw new MissingSettingError('EVIDENCE_SIGNING_KEY', "no key signs evidence here: npm start creates a local one, a deployed stack names its KMS key (--stack)");
  return localKeySigner(file);
}

/** An option's date as an instant: a calendar day in the policy's zone (its start, or with `end` the start of the next), or an RFC 3339 instant. */
function periodBound(option: string, value: string, timeZone: string, side: 'start' | 'end'): string {
  if (!readRecordDate(value)) throw new UsageError(`${option} "${value}": must be a date YYYY-MM-DD or an RFC 3339 instant`, `e.g. ${option} 2026-10-01 (a day in ${timeZone}) or ${option} 2026-10-01T00:00:00Z.`);
  return new Date(instantOf(value, timeZone, side)).toISOString();
}

const DAY_MS = 86_400_000;

/** `evidence export --out DIR [--from DATE] [--to DATE]`. */
export async function evidenceExport({ out, env, config }: CliContext, outDir: string, range: { from?: string; to?: string }): Promise<number> {
  const { policy } = config();
  const now = new Date();
  const period = {
    from: range.from ? periodBound('--from', range.from, policy.timeZone, 'start') : new Date(now.getTime() - policy.auditRetentionDays * DAY_MS).toISOString(),
    to: range.to ? periodBound('--to', range.to, policy.timeZone, 'end') : now.toISOString(),
  };
  if (period.from >= period.to) throw new UsageError(`the period from ${period.from} to ${period.to} is empty`, '--from must come before --to.');
  const signer = await evidenceKey(env);
  const sync = syncDependencies(env, config());
  const manifest = await exportEvidence(
    outDir,
    period,
    { bitwarden: sync.bitwarden, workers: sync.workers, audit: sync.audit, signer, reconcile: () => reconcile({ ...reconcileWithRosters(env, config()), notify: undefined }, { apply: false }), now: () => now },
    progress,
  );
  progressDone();
  out.print(
    `Wrote ${manifest.files.length} files to ${outDir}, the audit trail from ${period.from} to ${period.to} (${manifest.counts['audit-trail']} actions); manifest.json holds the SHA-256 of each, signed by ${signer.keyId} (${SIGNATURE_FILE}). Open summary.html; check it all with: npx lifecycle evidence verify ${outDir}\n\n${out.table(['file', 'bytes', 'sha256'], manifest.files.map((file) => [file.name, file.bytes, file.sha256]))}`,
    manifest,
  );
  return ExitCode.ok;
}

/** `evidence verify DIR [--public-key FILE]`. */
export async function evidenceVerify({ out, env }: CliContext, dir: string, publicKey: string | undefined): Promise<number> {
  const result = await verifyEvidence(dir, publicKey ? publicKeyFile(publicKey) : await evidenceKey(env));
  const rows = out.table(['file', 'check'], result.files.map((file) => [file.name, file.status]));
  if (result.verified) {
    out.print(`${rows}\n\nVerified: every file matches manifest.json, and its signature is valid for key ${result.key}.`, result);
    return ExitCode.ok;
  }
  out.error(`${dir} does not verify:\n${result.problems.map((problem) => `  - ${problem}`).join('\n')}`, `Checked with key ${result.key}. Do not rely on this export; export again from the stack.`, { ...result });
  return ExitCode.failure;
}
