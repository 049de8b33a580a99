import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BitwardenClient } from '../bitwarden/client.js';
import type { Reconciliation } from '../reconcile/reconcile.js';
import type { AuditEntry, AuditLog } from '../store/audit-log.js';
import type { WorkerStateStore } from '../store/worker-state.js';
import { memberStatusName, MemberStatus, memberTypeName } from '../vocabulary/bitwarden.js';
import { csvOf } from '../vocabulary/csv.js';

export interface EvidenceDependencies {
  bitwarden: BitwardenClient;
  workers: WorkerStateStore;
  audit: AuditLog;
  /** The drift at the same moment (a report-only reconciliation). */
  reconcile(): Promise<Reconciliation>;
  now(): Date;
}

export interface EvidenceManifest {
  generatedAt: string;
  /** The earliest and latest audited action the snapshot covers. */
  timeRange: { from: string | null; to: string };
  counts: Record<string, number>;
  files: Array<{ name: string; bytes: number; sha256: string }>;
}


const escape = (text: unknown) => String(text ?? '').replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!);

/**
 * `lifecycle evidence export --out DIR`: who has which access now, who should, what was done
 * last for each worker, and the drift, as JSON and CSV, with a manifest of SHA-256 digests and
 * a readable HTML summary for auditors.
 */
export async function exportEvidence(outDir: string, deps: EvidenceDependencies, progress: (message: string) => void = () => undefined): Promise<EvidenceManifest> {
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
<p>Generated ${escape(generatedAt)}; audit trail from ${escape(earliest ?? 'no actions yet')} to ${escape(generatedAt)}.</p>
<table><tr><th>What</th><th>Count</th></tr>${Object.entries(counts).map(([name, count]) => `<tr><td>${escape(name)}</td><td>${count}</td></tr>`).join('')}</table>
<h2>Drift (${reconciliation.drift.length})</h2>
<table><tr><th>Kind</th><th>Count</th></tr>${Object.entries(reconciliation.counts).map(([kind, count]) => `<tr><td>${escape(kind)}</td><td>${count}</td></tr>`).join('')}</table>
${reconciliation.drift.length ? `<table><tr><th>Kind</th><th>Worker</th><th>E-mail</th><th>Detail</th></tr>${reconciliation.drift.map((item) => `<tr><td>${escape(item.kind)}</td><td>${escape(item.workerKey)}</td><td>${escape(item.email)}</td><td>${escape(item.detail)}</td></tr>`).join('')}</table>` : '<p>None: Bitwarden matches the HR system.</p>'}
<h2>Revoked members</h2>
<table><tr><th>E-mail</th><th>Worker</th></tr>${members.filter((member) => member.status === MemberStatus.Revoked).map((member) => `<tr><td>${escape(member.email)}</td><td>${escape(member.externalId)}</td></tr>`).join('')}</table>
<p>Every file of this export, with its SHA-256, is listed in manifest.json.</p></body></html>\n`;
  write('summary.html', summary);
  const manifest: EvidenceManifest = { generatedAt, timeRange: { from: earliest, to: generatedAt }, counts, files };
  writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
