import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BitwardenClient } from '../bitwarden/client.js';
import type { Reconciliation } from '../reconcile/reconcile.js';
import type { AuditEntry, AuditLog } from '../store/audit-log.js';
import type { WorkerStateStore } from '../store/worker-state.js';
import { memberStatusName, MemberStatus, memberTypeName } from '../vocabulary/bitwarden.js';
import { csvOf } from '../vocabulary/csv.js';
import { SIGNING_ALGORITHM, type Signer } from './signer.js';

export interface EvidenceDependencies {
  bitwarden: BitwardenClient;
  workers: WorkerStateStore;
  audit: Pick<AuditLog, 'forWorker' | 'between'>;
  /** Signs manifest.json: the stack's KMS key, or npm start's local key (lib/evidence/signer.ts). */
  signer: Signer;
  /** The drift at the same moment (a report-only reconciliation). */
  reconcile(): Promise<Reconciliation>;
  now(): Date;
}

/** The period an export names: its audit trail holds every entry at or after `from` and before `to` (ISO instants). */
export interface EvidencePeriod {
  from: string;
  to: string;
}

export const MANIFEST_FILE = 'manifest.json';
/** Beside the manifest: which key signed manifest.json's exact bytes, and the signature. */
export const SIGNATURE_FILE = 'manifest.sig.json';

/** What is signed: the SHA-256 of manifest.json's exact bytes (32 bytes, within what KMS signs in one call whatever the manifest's size). */
export const signedDigest = (manifestBytes: Uint8Array): Buffer => createHash('sha256').update(manifestBytes).digest();

export interface ManifestSignature {
  file: typeof MANIFEST_FILE;
  algorithm: typeof SIGNING_ALGORITHM;
  keyId: string;
  /** DER-encoded ECDSA signature of `signedDigest(manifest.json)`, base64. */
  signature: string;
}

export interface EvidenceManifest {
  generatedAt: string;
  period: EvidencePeriod;
  /** The key that signs this manifest (manifest.sig.json). */
  signedBy: string;
  /** From the earliest audited action still kept for the workers exported (whatever the period) to the snapshot. */
  timeRange: { from: string | null; to: string };
  counts: Record<string, number>;
  files: Array<{ name: string; bytes: number; sha256: string }>;
}


const escape = (text: unknown) => String(text ?? '').replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!);

/**
 * `lifecycle evidence export --out DIR`: who has which access now, who should, every audited action
 * of the period (and what was done last for each worker), and the drift, as JSON and CSV, with a
 * manifest of SHA-256 digests signed by the evidence key and a readable HTML summary for auditors.
 * `evidence verify` (lib/evidence/verify.ts) checks all of it.
 */
export async function exportEvidence(outDir: string, period: EvidencePeriod, deps: EvidenceDependencies, progress: (message: string) => void = () => undefined): Promise<EvidenceManifest> {
  const generatedAt = deps.now().toISOString();
  progress('reading Bitwarden members and groups');
  const [members, groups] = await Promise.all([deps.bitwarden.listMembers(), deps.bitwarden.listGroups()]);
  const memberships: Array<{ groupId: string; groupName: string; memberId: string; email: string | null }> = [];
  for (const [index, group] of groups.entries()) {
    progress(`reading group memberships (${index + 1}/${groups.length})`);
    for (const memberId of await deps.bitwarden.getGroupMemberIds(group.id)) {
      memberships.push({ groupId: group.id, groupName: group.name, memberId, email: members.find((member) => member.id === memberId)?.email ?? null });
    }
  }
  progress('reading HR state and audit trail');
  const states = await deps.workers.all();
  const lastActions: AuditEntry[] = [];
  let earliest: string | null = null;
  for (const state of states) {
    const trail = await deps.audit.forWorker(state.workerKey);
    if (trail[0] && (!earliest || trail[0].at < earliest)) earliest = trail[0].at;
    const last = trail.filter((entry) => entry.outcome === 'applied' && entry.action !== 'none').at(-1);
    if (last) lastActions.push(last);
  }
  progress('reading the audit trail of the period');
  const trail = await deps.audit.between(period.from, period.to);
  progress('computing drift');
  const reconciliation = await deps.reconcile();

  const tables: Record<string, Array<Record<string, unknown>>> = {
    members: members.map((member) => ({ id: member.id, email: member.email, status: memberStatusName(member.status), type: memberTypeName(member.type), externalId: member.externalId, twoFactorEnabled: member.twoFactorEnabled })),
    groups: groups.map((group) => ({ id: group.id, name: group.name, externalId: group.externalId })),
    memberships,
    workers: states.map((state) => ({
      workerKey: state.workerKey, email: state.record.workEmail, status: state.record.status, department: state.record.department, jobTitle: state.record.jobTitle,
      employmentType: state.record.employmentType, endDate: state.record.endDate, terminationDate: state.record.terminationDate, access: state.access,
      groups: state.groups.join('; '), memberId: state.memberId, revokedAt: state.revokedAt, reevaluateAt: state.reevaluateAt, lastEventAt: state.lastEventAt,
    })),
    'audit-trail': trail.map(({ workerKey, at, outcome, action, memberId, detail, provider, eventType, deliveryId }) => ({ workerKey, at, outcome, action, memberId, detail, provider, eventType, deliveryId })),
    'last-actions': lastActions.map(({ workerKey, at, action, outcome, memberId, detail, provider, deliveryId }) => ({ workerKey, at, action, outcome, memberId, detail, provider, deliveryId })),
    drift: reconciliation.drift.map((item) => ({ ...item })),
  };

  mkdirSync(outDir, { recursive: true });
  const files: EvidenceManifest['files'] = [];
  const write = (name: string, content: string) => {
    writeFileSync(path.join(outDir, name), content);
    files.push({ name, bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') });
  };
  for (const [name, rows] of Object.entries(tables)) {
    write(`${name}.json`, `${JSON.stringify(rows, null, 2)}\n`);
    write(`${name}.csv`, csvOf(rows));
  }
  const counts = Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, rows.length]));
  const summary = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bitwarden access evidence ${escape(generatedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#f3f3f3}</style></head><body>
<h1>Bitwarden access evidence</h1>
<p>Generated ${escape(generatedAt)}. Period: ${escape(period.from)} to ${escape(period.to)}; audit-trail.csv holds its ${trail.length} audited actions (the earliest audited action kept: ${escape(earliest ?? 'none yet')}).</p>
<table><tr><th>What</th><th>Count</th></tr>${Object.entries(counts).map(([name, count]) => `<tr><td>${escape(name)}</td><td>${count}</td></tr>`).join('')}</table>
<h2>Drift (${reconciliation.drift.length})</h2>
<table><tr><th>Kind</th><th>Count</th></tr>${Object.entries(reconciliation.counts).map(([kind, count]) => `<tr><td>${escape(kind)}</td><td>${count}</td></tr>`).join('')}</table>
${reconciliation.drift.length ? `<table><tr><th>Kind</th><th>Worker</th><th>E-mail</th><th>Detail</th></tr>${reconciliation.drift.map((item) => `<tr><td>${escape(item.kind)}</td><td>${escape(item.workerKey)}</td><td>${escape(item.email)}</td><td>${escape(item.detail)}</td></tr>`).join('')}</table>` : '<p>None: Bitwarden matches the HR system.</p>'}
<h2>Revoked members</h2>
<table><tr><th>E-mail</th><th>Worker</th></tr>${members.filter((member) => member.status === MemberStatus.Revoked).map((member) => `<tr><td>${escape(member.email)}</td><td>${escape(member.externalId)}</td></tr>`).join('')}</table>
<p>Every file of this export, with its SHA-256, is listed in manifest.json, which key ${escape(deps.signer.keyId)} signed (manifest.sig.json). Check both with <code>npx lifecycle evidence verify DIR</code>.</p></body></html>\n`;
  write('summary.html', summary);
  const manifest: EvidenceManifest = { generatedAt, period, signedBy: deps.signer.keyId, timeRange: { from: earliest, to: generatedAt }, counts, files };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  progress(`signing the manifest with ${deps.signer.keyId}`);
  const signature: ManifestSignature = { file: MANIFEST_FILE, algorithm: SIGNING_ALGORITHM, keyId: deps.signer.keyId, signature: Buffer.from(await deps.signer.sign(signedDigest(manifestBytes))).toString('base64') };
  writeFileSync(path.join(outDir, MANIFEST_FILE), manifestBytes);
  writeFileSync(path.join(outDir, SIGNATURE_FILE), `${JSON.stringify(signature, null, 2)}\n`);
  return manifest;
}
