import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/config/errors.js';

const valid = `
bitwarden:
  region: eu
rules:
  - id: everyone
    groups: [All Staff]
`;

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('the lifecycle config file', () => {
  it('loads the shipped file', () => {
    const config = loadConfigFile('cdk/config/lifecycle.yaml');
    expect(config.bitwarden).toEqual({ region: 'us', onRevokeUnsupported: 'fail', createMissingGroups: false, apiUrl: 'https://api.bitwarden.com', identityUrl: 'https://identity.bitwarden.com' });
    expect(config.rules.map((rule) => rule.id)).toContain('everyone');
  });

  it('fills defaults and resolves the region to URLs', () => {
    const config = parseConfig(valid);
    expect(config.bitwarden.apiUrl).toBe('https://api.bitwarden.eu');
    expect(config.bitwarden.identityUrl).toBe('https://identity.bitwarden.eu');
    expect(config.policy).toEqual({
      dryRun: false, memberType: 'user', allowedElevatedMemberTypes: [], reconcile: 'report', inviteAcceptanceDays: 14, auditRetentionDays: 400, onWorkerRemoved: 'revoke', timeZone: 'UTC', inviteDaysBeforeStart: null, terminationTakesEffect: 'end-of-day', onLeave: 'keep', removeRevokedAfterDays: null,
      massRevocationGuard: { windowMinutes: 60, maxRevocations: 25, maxShareOfOrganization: 0.1, release: 'admin' },
    });
    expect(config.providers.generic?.enabled).toBe(true);
    expect(config.rules[0]!.match).toEqual({});
  });

  it('names the line and path of a bad field', () => {
    const problems = problemsOf(`rules:\n  - id: eng\n    groups: [Engineering]\n  - id: fin\n    match:\n      departmant: Finance\n    groups: [Finance]\n`);
    expect(problems).toEqual(['line 6, rules[1].match: unknown field(s) "departmant"']);
  });

  it('refuses empty group names, rules without groups and duplicate rule ids', () => {
    const problems = problemsOf(`rules:\n  - id: a\n    groups: ["  "]\n  - id: b\n    groups: []\n  - id: a\n    groups: [X]\n`);
    expect(problems).toEqual([
      'line 3, rules[0].groups[0]: must not be empty',
      'line 5, rules[1].groups: must name at least one Bitwarden group',
      'line 6, rules[2].id: duplicates the id of rules[0] ("a")',
    ]);
  });

  it('requires both URLs for a self-hosted server', () => {
    expect(problemsOf(`bitwarden:\n  region: self-hosted\n  apiUrl: https://vault.example.com/api\nrules:\n  - id: a\n    groups: [A]\n`)).toEqual([
      expect.stringMatching(/^line 2, bitwarden\.identityUrl: is required when region is self-hosted/),
    ]);
  });

  it('reports YAML syntax errors and unreadable files with their source', () => {
    expect(() => parseConfig('rules: [', 'broken.yaml')).toThrow(/Invalid lifecycle config broken\.yaml/);
    expect(() => loadConfigFile('/nonexistent/lifecycle.yaml')).toThrow(/cannot read the file/);
  });
});
