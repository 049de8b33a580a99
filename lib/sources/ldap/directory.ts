import { ProviderApiError } from '../source-api.js';
import type { LdapEntry, SearchDirectory } from '../source.js';

/** Timeouts of one read: a directory across a VPN can be slow to answer, never silent forever. */
const CONNECT_TIMEOUT_MS = 10_000;
const OPERATION_TIMEOUT_MS = 60_000;

/**
 * Runs searches on one connection, bound as the service account, each search paged with the simple
 * paged results control (RFC 2696) so that the server's size limit (AD's MaxPageSize, 1,000 by
 * default) never cuts a read short. The paging cookie belongs to the connection, so a roster read
 * runs its searches on one connection, start to end.
 */
export const searchDirectory: SearchDirectory = async (url, bindDn, password, pageSize, searches) => {
  // Loaded at the first directory read: the roster functions start without it.
  const { Client, InvalidCredentialsError } = await import('ldapts');
  const client = new Client({ url, connectTimeout: CONNECT_TIMEOUT_MS, timeout: OPERATION_TIMEOUT_MS });
  try {
    await client.bind(bindDn, password);
    const results: LdapEntry[][] = [];
    for (const search of searches) {
      const { searchEntries } = await client.search(search.base, {
        scope: 'sub',
        filter: search.filter,
        attributes: search.attributes,
        explicitBufferAttributes: search.binary,
        paged: { pageSize },
      });
      results.push(searchEntries);
    }
    return results;
  } catch (error) {
    const operation = `ldap search of ${url}`;
    if (error instanceof InvalidCredentialsError) throw new ProviderApiError(operation, 0, 'the bind DN or password was refused');
    throw new ProviderApiError(operation, 0, `${(error as Error).name}: ${(error as Error).message}`.trim());
  } finally {
    await client.unbind().catch(() => undefined);
  }
};
