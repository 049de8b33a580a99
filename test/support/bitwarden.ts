import { BitwardenClient, type BitwardenClientOptions } from '../../lib/bitwarden/client.js';
import { BitwardenEmulator, type BitwardenEmulatorOptions } from '../../lib/local/bitwarden/emulator.js';

/** A started emulator and a client connected to it. */
export async function bitwardenPair(emulatorOptions: BitwardenEmulatorOptions = {}, clientOptions: Partial<BitwardenClientOptions> = {}) {
  const emulator = await new BitwardenEmulator(emulatorOptions).start();
  const client = new BitwardenClient({
    apiUrl: emulator.url,
    identityUrl: emulator.url,
    credentials: async () => ({ clientId: emulator.clientId, clientSecret: emulator.clientSecret }),
    // Like the product, the client paces itself only against a server that plays Bitwarden's cloud.
    rateLimited: emulatorOptions.rateLimits === true,
    ...clientOptions,
  });
  return { emulator, client };
}
