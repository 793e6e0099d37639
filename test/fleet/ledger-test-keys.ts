import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { canonicalJson } from '../../src/fleet-protocol/canonical-json.js';

/** A ledger signing key pair for tests: the private half for a ledger, the public one for kiosk configs. */
export interface TestLedgerKey {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  /** As a kiosk config lists it under `fleet.ledger.publicKeys`. */
  configEntry: { id: string; key: string };
  /**
   * The ack with `sig`: Ed25519 over the canonical JSON of its other fields, written here from
   * the wire format rather than with the product's helper, so the two are checked against each other.
   */
  sign(ack: Record<string, unknown>): Record<string, unknown>;
}

export function testLedgerKey(id = 'ledger-test'): TestLedgerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    id,
    privateKey,
    publicKey,
    publicKeyPem,
    configEntry: { id, key: publicKeyPem },
    sign: (ack) => ({
      ...ack,
      sig: sign(null, Buffer.from(canonicalJson(ack)), privateKey).toString('base64'),
    }),
  };
}

/** The key every test ledger signs with and every test kiosk trusts, unless a test makes its own. */
export const TEST_LEDGER_KEY = testLedgerKey();
