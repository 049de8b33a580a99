/**
 * `npm run demo`: sends signed generic-format events for one person to a running `npm start`
 * (hire → role change → termination) and shows what Bitwarden holds after each.
 * Environment: DEMO_URL (default http://127.0.0.1:$PORT or :3000), GENERIC_WEBHOOK_SECRET.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { genericSource } from '../lib/sources/generic/generic.js';
import { MemberStatus, memberStatusName } from '../lib/vocabulary/bitwarden.js';

const baseUrl = process.env.DEMO_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const signer = new Webhook(process.env.GENERIC_WEBHOOK_SECRET ?? genericSource.localSecret);
// The reference fixture's person, given a fresh id so the demo can run again against the same runtime.
const hired = JSON.parse(readFileSync('test/fixtures/hris/generic/worker.hired.json', 'utf8'));
const person = { ...hired.data.worker, externalId: `DEMO-${randomUUID().slice(0, 6)}`, workEmail: `priya.${randomUUID().slice(0, 6)}@example.com`, status: 'active' };

interface MemberView {
  externalId: string | null;
  email: string;
  status: number;
  groupNames: string[];
}

async function send(step: string, type: string, worker: Record<string, unknown>, occurredAt: string): Promise<void> {
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({ type, timestamp: occurredAt, data: { source: { system: 'demo' }, worker } });
  const response = await fetch(`${baseUrl}/webhooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signer.sign(id, new Date(), body) },
    body,
  });
  console.log(`\n${step}\n  POST /webhooks/generic (${type}) → ${response.status} ${await response.text()}`);
}

/** Polls the local runtime's view of the emulator until the member looks as expected (bounded). */
async function waitForMember(expectation: (member: MemberView | undefined) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await fetch(`${baseUrl}/local/bitwarden/members`);
    if (response.status === 404) return console.log('  (not the local emulator: check the Bitwarden admin console)');
    const member = ((await response.json()) as MemberView[]).find((candidate) => candidate.externalId === person.externalId);
    if (expectation(member)) {
      return console.log(`  Bitwarden: ${member ? `${member.email} ${memberStatusName(member.status)}, groups [${member.groupNames.join(', ')}]` : 'no member'}`);
    }
    await sleep(100);
  }
  throw new Error('Bitwarden did not reach the expected state within 10 s: is the worker running? See the npm start output.');
}

try {
  await fetch(`${baseUrl}/healthz`);
} catch {
  console.error(`Nothing answers at ${baseUrl}. Start the product first: npm start`);
  process.exit(1);
}

await send('1. Hire: Software Engineer in Engineering', 'worker.hired', person, new Date(Date.now() - 3000).toISOString());
await waitForMember((member) => member?.status === 0);

await send('2. Role change: moves to Finance as Accountant', 'worker.updated', { ...person, department: 'Finance', jobTitle: 'Accountant' }, new Date(Date.now() - 2000).toISOString());
await waitForMember((member) => member?.groupNames.includes('Finance') ?? false);

const today = new Date().toISOString().slice(0, 10);
await send(`3. Termination effective today (${today})`, 'worker.terminated', { ...person, department: 'Finance', jobTitle: 'Accountant', status: 'terminated', terminationDate: today }, new Date(Date.now() - 1000).toISOString());
await waitForMember((member) => member?.status === MemberStatus.Revoked);

console.log('\nDone: one invite, one group-ids PUT, one revoke. The audit trail is in the Audit table.');
