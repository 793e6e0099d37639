import type { KeyObject } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { generateFleetKeyPair, readPrivateKeyPem } from '../fleet-protocol/index.js';

/**
 * The fleet's command signing key pair on disk: the private half readable by its owner only
 * (it can command every kiosk), the public half for kiosk configs. Existing files are never
 * overwritten: replacing a key that kiosks trust must be a deliberate act.
 */
export const PRIVATE_KEY_FILE = 'fleet-ed25519.pem';
export const PUBLIC_KEY_FILE = 'fleet-ed25519.pub.pem';

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

export function writeFleetKeyPair(dir: string): WrittenKeyPair {
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
  const privateKeyPath = join(absolute, PRIVATE_KEY_FILE);
  const publicKeyPath = join(absolute, PUBLIC_KEY_FILE);
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

/** Reads the signing key for `fleet cmd`; FleetKeyFile names the file and what is wrong with it. */
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
      `${path} is not an Ed25519 private key in PEM (make one with: kioskd fleet keygen)`,
      { cause, details: { path } },
    );
  }
}
