import type { KeyObject } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { generateFleetKeyPair, readPrivateKeyPem } from '../fleet-protocol/index.js';

/**
 * A fleet signing key pair on disk: the fleet's command key (it can command every kiosk) or a
 * ledger's ack key (it can make a kiosk forget payments). The private half is readable by its
 * owner only, the public half goes into kiosk configs. Existing files are never overwritten:
 * replacing a key that kiosks trust must be a deliberate act.
 */
export type SigningKeyUse = 'commands' | 'ledger';

export const KEY_FILES: Record<SigningKeyUse, { privateKey: string; publicKey: string }> = {
  commands: { privateKey: 'fleet-ed25519.pem', publicKey: 'fleet-ed25519.pub.pem' },
  ledger: { privateKey: 'ledger-ed25519.pem', publicKey: 'ledger-ed25519.pub.pem' },
};
export const PRIVATE_KEY_FILE = KEY_FILES.commands.privateKey;
export const PUBLIC_KEY_FILE = KEY_FILES.commands.publicKey;

export interface WrittenKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  publicKeyPem: string;
}

function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (cause) {
    const errno = (cause as NodeJS.ErrnoException).code;
    const why =
      errno === 'EEXIST' ? 'it already exists (move it away to make a new key)' : String(errno ?? cause);
    throw new KioskError(ErrorCode.FleetKeyFile, `cannot write ${path}: ${why}`, {
      cause,
      details: { path, errno },
    });
  }
  try {
    // The umask may have taken bits away or, for the private key, the mode must be exact.
    chmodSync(path, mode);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function writeFleetKeyPair(dir: string, use: SigningKeyUse = 'commands'): WrittenKeyPair {
  const absolute = resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true });
  } catch (cause) {
    throw new KioskError(
      ErrorCode.FleetKeyFile,
      `cannot create ${absolute}: ${String((cause as NodeJS.ErrnoException).code)}`,
      {
        cause,
        details: { path: absolute },
      },
    );
  }
  const privateKeyPath = join(absolute, KEY_FILES[use].privateKey);
  const publicKeyPath = join(absolute, KEY_FILES[use].publicKey);
  const { privateKeyPem, publicKeyPem } = generateFleetKeyPair();
  writeNew(privateKeyPath, privateKeyPem, 0o600);
  try {
    writeNew(publicKeyPath, publicKeyPem, 0o644);
  } catch (error) {
    // Half a pair is worse than none: the next run would refuse on the private file.
    unlinkSync(privateKeyPath);
    throw error;
  }
  return { privateKeyPath, publicKeyPath, publicKeyPem };
}

/** Reads a signing key (`fleet cmd`, `fleet ledger`); FleetKeyFile names the file and what is wrong with it. */
export function readFleetPrivateKey(path: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(resolve(path), 'utf8');
  } catch (cause) {
    const errno = (cause as NodeJS.ErrnoException).code;
    throw new KioskError(
      ErrorCode.FleetKeyFile,
      `cannot read the signing key ${path}: ${String(errno ?? cause)}`,
      {
        cause,
        details: { path, errno },
      },
    );
  }
  try {
    return readPrivateKeyPem(pem);
  } catch (cause) {
    throw new KioskError(
      ErrorCode.FleetKeyFile,
      `${path} is not an Ed25519 private key in PEM (make one with: kioskd fleet keygen [--for ledger])`,
      { cause, details: { path } },
    );
  }
}
