import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { type FleetPublicKey, signedBytesOf, signFields, verifyFields } from './ed25519-signature.js';
import type { CommandEnvelope, UnsignedCommand } from './payloads.js';

/** The bytes an Ed25519 command signature covers: the canonical JSON of every field but `sig`. */
export function signedBytes(command: UnsignedCommand): Buffer {
  return signedBytesOf(commandFields(command));
}

function commandFields(command: UnsignedCommand): Record<string, unknown> {
  const { cmdId, kioskId, action, args, issuedAt, expiresAt } = command;
  return { cmdId, kioskId, action, args, issuedAt, expiresAt };
}

export function signCommand(command: UnsignedCommand, privateKey: KeyObject): CommandEnvelope {
  return { ...command, sig: signFields(commandFields(command), privateKey) };
}

/** Which configured key signed it, or undefined. A malformed signature is simply not valid. */
export function verifyCommandSignature(
  envelope: CommandEnvelope,
  keys: readonly FleetPublicKey[],
): string | undefined {
  return verifyFields(commandFields(envelope), envelope.sig, keys);
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
