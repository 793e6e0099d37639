import { type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * Ed25519 over the canonical JSON of a payload's fields, the one signing scheme of the fleet
 * protocol: commands (signed by the fleet operators) and payment acks (signed by the ledger)
 * both carry `sig`, the base64 of the signature over every other field.
 */

export interface FleetPublicKey {
  id: string;
  key: KeyObject;
}

/** An Ed25519 signature is 64 bytes; base64 of anything else is not one. */
const SIGNATURE_BYTES = 64;

export function signedBytesOf(fields: Record<string, unknown>): Buffer {
  return Buffer.from(canonicalJson(fields), 'utf8');
}

/** The base64 signature of `fields` (which must not contain `sig`). */
export function signFields(fields: Record<string, unknown>, privateKey: KeyObject): string {
  return sign(null, signedBytesOf(fields), privateKey).toString('base64');
}

/**
 * The id of the configured key whose signature `sig` is over `fields`, or undefined. A
 * malformed signature, or fields canonical JSON cannot encode, are simply not valid.
 */
export function verifyFields(
  fields: Record<string, unknown>,
  sig: string,
  keys: readonly FleetPublicKey[],
): string | undefined {
  const signature = Buffer.from(sig, 'base64');
  if (signature.length !== SIGNATURE_BYTES) return undefined;
  let bytes: Buffer;
  try {
    bytes = signedBytesOf(fields);
  } catch {
    return undefined;
  }
  for (const { id, key } of keys) {
    try {
      if (verify(null, bytes, key, signature)) return id;
    } catch {
      // a key of the wrong type never verifies; try the next
    }
  }
  return undefined;
}
