import { describe, expect, it } from 'vitest';
import { missedByWebhooks } from '../../lib/roster/corrections.js';

describe('a roster read that changed Bitwarden', () => {
  it('is a missed webhook only for a source that sends webhooks', async () => {
    expect(await missedByWebhooks({ eventType: 'roster.record', provider: 'bamboohr' }, true)).toBe(true);
    // Directories and roster files have no webhooks: their reads are their only news, not a correction.
    expect(await missedByWebhooks({ eventType: 'roster.record', provider: 'oktadirectory' }, true)).toBe(false);
    expect(await missedByWebhooks({ eventType: 'roster.record', provider: 'file' }, true)).toBe(false);
  });

  it('is none when nothing changed, or when the event was no roster read', async () => {
    expect(await missedByWebhooks({ eventType: 'roster.record', provider: 'bamboohr' }, false)).toBe(false);
    expect(await missedByWebhooks({ eventType: 'worker.hired', provider: 'bamboohr' }, true)).toBe(false);
  });
});
