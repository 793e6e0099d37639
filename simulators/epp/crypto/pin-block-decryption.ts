import { decryptTdesBlock } from './block-cipher.js';
import { requireBytes, wipe } from './bytes.js';
import {
  AES_DUKPT_KSN_BYTES,
  deriveAesInitialKey,
  deriveAesPinKey,
  isUsableAesCounter,
  parseAesKsn,
} from './dukpt-aes.js';
import type { PinBlockFormat } from './dukpt-pin-encryptor.js';
import {
  DUKPT_TDES_KSN_BYTES,
  deriveTdesIpek,
  deriveTdesPinKey,
  deriveTdesTransactionKey,
  isUsableTdesCounter,
  parseTdesKsn,
} from './dukpt-tdes.js';
import { decipherFormat4Block, isValidAccount, readFormat0Block } from './pin-block.js';

export interface PinBlockDecryptionRequest {
  /** TDES BDK for format 0, AES-128 BDK for format 4 (16 bytes either way). */
  bdk: Uint8Array;
  format: PinBlockFormat;
  ksn: Uint8Array;
  pinBlock: Uint8Array;
  account: string;
}

export type PinBlockDecryptionResult =
  | { ok: true; pin: string }
  | { ok: false; reason: 'badFormat' | 'badKsn' | 'badPinBlock' | 'badAccount' | 'malformedPinBlock' };

/**
 * The HSM's side: derive the pad's key from the BDK and the KSN, decrypt, and read the PIN.
 * KSN, block and account come from the network, so what is wrong with them is a result, not
 * a throw. A block that decrypts to no valid PIN field (wrong BDK, other account, damaged) is
 * malformedPinBlock, which a caller must not count as a wrong PIN typed by the customer.
 * Only the BDK's length is a programming error and throws.
 */
export function decryptPinBlock(request: PinBlockDecryptionRequest): PinBlockDecryptionResult {
  requireBytes(request.bdk, 16, 'BDK');
  const { format, ksn, pinBlock, account } = request;
  if (format !== 'iso0' && format !== 'iso4') return { ok: false, reason: 'badFormat' };
  const tdes = format === 'iso0';
  if (!(ksn instanceof Uint8Array) || ksn.length !== (tdes ? DUKPT_TDES_KSN_BYTES : AES_DUKPT_KSN_BYTES)) {
    return { ok: false, reason: 'badKsn' };
  }
  if (!(pinBlock instanceof Uint8Array) || pinBlock.length !== (tdes ? 8 : 16)) {
    return { ok: false, reason: 'badPinBlock' };
  }
  if (!isValidAccount(account, tdes ? 2 : 1)) return { ok: false, reason: 'badAccount' };
  if (tdes) {
    if (!isUsableTdesCounter(parseTdesKsn(ksn).counter)) return { ok: false, reason: 'badKsn' };
    const ipek = deriveTdesIpek(request.bdk, ksn);
    const transactionKey = deriveTdesTransactionKey(ipek, ksn);
    const pinKey = deriveTdesPinKey(transactionKey);
    const clear = decryptTdesBlock(pinKey, pinBlock);
    const result = readFormat0Block(clear, account);
    wipe(ipek, transactionKey, pinKey, clear);
    return result;
  }
  const { initialKeyId, counter } = parseAesKsn(ksn);
  if (!isUsableAesCounter(counter)) return { ok: false, reason: 'badKsn' };
  const initialKey = deriveAesInitialKey(request.bdk, initialKeyId);
  const pinKey = deriveAesPinKey(initialKey, ksn);
  const result = decipherFormat4Block(pinKey, pinBlock, account);
  wipe(initialKey, pinKey);
  return result;
}
