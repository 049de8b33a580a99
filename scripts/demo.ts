/**
 * `npm run demo`: sends signed generic-format events for one person to the `npm start` running from
 * this folder (hire → role change → termination), shows what Bitwarden holds after each, and
 * prints the worker's id with the commands that show it.
 * Environment: DEMO_URL (default: the URL npm start recorded in .local/runtime.json), GENERIC_WEBHOOK_SECRET.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { selectTarget } from '../lib/runtime/local-target.js';
import { genericSource } from '../lib/sources/generic/generic.js';
import { MemberStatus, memberStatusName } from '../lib/vocabulary/bitwarden.js';

/** The running npm start's HTTP server, from its runtime file (lib/local/main.ts records it on whatever port it took). */
function runningApiUrl(): string | undefined {
  if (process.env.DEMO_URL) return process.env.DEMO_URL;
  const { target, env } = selectTarget(false);
  return target === 'local' ? env.variables.LIFECYCLE_API_URL : undefined;
}

const baseUrl = runningApiUrl();
if (!baseUrl) {
  console.error('No npm start is running from this folder. Start the product first: npm start');
  process.exit(1);
}
const signer = new Webhook(process.env.GENERIC_WEBHOOK_SECRET ?? genericSource.localSecret);
// The reference fixture's person, given a fresh id so the demo can run again against the same runtime.
const hired = JSON.parse(readFileSync(new URL('../test/fixtures/hris/generic/worker.hired.json', import.meta.url), 'utf8'));
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

console.log(`Worker ${person.externalId} (${person.displayName}), through ${baseUrl}/webhooks/generic`);

await send('1. Hire: Software Engineer in Engineering', 'worker.hired', person, new Date(Date.now() - 3000).toISOString());
await waitForMember((member) => member?.status === 0);

await send('2. Role change: moves to Finance as Accountant', 'worker.updated', { ...person, department: 'Finance', jobTitle: 'Accountant' }, new Date(Date.now() - 2000).toISOString());
await waitForMember((member) => member?.groupNames.includes('Finance') ?? false);

const today = new Date().toISOString().slice(0, 10);
await send(`3. Termination effective today (${today})`, 'worker.terminated', { ...person, department: 'Finance', jobTitle: 'Accountant', status: 'terminated', terminationDate: today }, new Date(Date.now() - 1000).toISOString());
await waitForMember((member) => member?.status === MemberStatus.Revoked);

console.log(`\nDone: one invite, one group-ids PUT, one revoke. The worker's id is ${person.externalId}; see what the product did with:
  npx lifecycle status ${person.externalId}    # HR record, desired and actual Bitwarden state
  npx lifecycle audit ${person.externalId}     # every action, oldest first`);
