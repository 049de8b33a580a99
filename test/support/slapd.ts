import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real OpenLDAP server for a test file: its own config and database in a temp folder, the
 * AD-shaped schema and directory of test/fixtures/ldap loaded offline (slapadd), listening on a
 * free loopback port. `.ci/run` installs slapd; a machine without it fails here, saying so.
 */
export interface Slapd {
  url: string;
  suffix: string;
  /** The directory's administrator (rootdn): what the test edits the directory as. */
  admin: { dn: string; password: string };
  /** The product's read-only service account, as `<bind DN>:<password>` (the ldap source's credentials). */
  readerCredentials: string;
  stop(): Promise<void>;
}

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/ldap');
const SUFFIX = 'dc=corp,dc=example';
const ADMIN = { dn: `cn=admin,${SUFFIX}`, password: 'admin-password' };
const READER = `cn=lifecycle-reader,${SUFFIX}`;
const SLAPD = ['/usr/sbin/slapd', 'slapd'];

function binary(name: string, candidates: readonly string[]): string {
  const found = candidates.find((candidate) => spawnSync(candidate, ['-VV']).error === undefined);
  if (!found) throw new Error(`${name} is not installed: apt-get install slapd ldap-utils (as .ci/run does)`);
  return found;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const config = (dir: string) => `
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include ${FIXTURES}/ad.schema
pidfile ${dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "${SUFFIX}"
rootdn "${ADMIN.dn}"
rootpw ${ADMIN.password}
directory ${dir}/data
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="${READER}" read by * none
# At most 3 entries per search for the reader, unless it pages (RFC 2696): a read that did not page would fail.
limits dn.exact="${READER}" size.soft=3 size.hard=3 size.pr=3 size.prtotal=unlimited
`;

export async function startSlapd(): Promise<Slapd> {
  const slapd = binary('slapd', SLAPD);
  const dir = mkdtempSync(path.join(tmpdir(), 'slapd-'));
  mkdirSync(path.join(dir, 'data'));
  const conf = path.join(dir, 'slapd.conf');
  writeFileSync(conf, config(dir));
  const load = spawnSync(slapd.replace(/slapd$/, 'slapadd'), ['-f', conf, '-l', path.join(FIXTURES, 'directory.ldif')], { encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`slapadd failed: ${load.stderr}`);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d keeps slapd in the foreground (ours to stop); at level 256 it says "slapd starting" on stderr once it listens.
  const child: ChildProcess = spawn(slapd, ['-f', conf, '-h', `${url}/`, '-d', '256'], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const starting = (chunk: Buffer) => {
      log += chunk.toString();
      if (!log.includes('slapd starting')) return;
      // The rest of its log is read and dropped, so that a full pipe never stalls it.
      child.stderr!.off('data', starting).resume();
      resolve();
    };
    child.stderr!.on('data', starting);
    child.once('exit', (code) => reject(new Error(`slapd exited (${code}) before it listened: ${log}`)));
  });

  // Should the test process end without its afterAll (a crash, a killed worker), slapd ends with it.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);

  return {
    url,
    suffix: SUFFIX,
    admin: ADMIN,
    readerCredentials: `${READER}:reader-password`,
    async stop() {
      process.off('exit', orphaned);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
