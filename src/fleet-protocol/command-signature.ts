import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { CommandEnvelope, UnsignedCommand } from './payloads.js';

/** The bytes an Ed25519 command signature covers: the canonical JSON of every field but `sig`. */
export function signedBytes(command: UnsignedCommand): Buffer {
  const { cmdId, kioskId, action, args, issuedAt, expiresAt } = command;
  return Buffer.from(canonicalJson({ cmdId, kioskId, action, args, issuedAt, expiresAt }), 'utf8');
}

export function signCommand(command: UnsignedCommand, privateKey: KeyObject): CommandEnvelope {
  const sig = sign(null, signedBytes(command), privateKey).toString('base64');
  return { ...command, sig };
}

export interface FleetPublicKey {
  id: string;
  key: KeyObject;
}

/** Which configured key signed it, or undefined. A malformed signature is simply not valid. */
export function verifyCommandSignature(
  envelope: CommandEnvelope,
  keys: readonly FleetPublicKey[],
): string | undefined {
  let signature: Buffer;
  try {
    signature = Buffer.from(envelope.sig, 'base64');
  } catch {
    return undefined;
  }
  if (signature.length !== 64) return undefined;
  const bytes = signedBytes(envelope);
  for (const { id, key } of keys) {
    try {
      if (verify(null, bytes, key, signature)) return id;
    } catch {
      // a key of the wrong type never verifies; try the next
    }
  }
  return undefined;
}

export interface Ed25519KeyPairPem {
  publicKeyPem: string;
  privateKeyPem: string;
}

export function generateFleetKeyPair(): Ed25519KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function readPrivateKeyPem(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TypeError(`expected an Ed25519 private key, got ${key.asymmetricKeyType}`);
  return key;
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}
