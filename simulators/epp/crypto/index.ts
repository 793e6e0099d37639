export { decryptAesBlock, decryptTdesBlock, encryptAesBlock, encryptTdesBlock } from './block-cipher.js';
export type { CounterStep } from './counter.js';
export {
  AES_DUKPT_INITIAL_KEY_ID_BYTES,
  AES_DUKPT_KSN_BYTES,
  AES_DUKPT_MAX_COUNTER,
  AES_DUKPT_MAX_ONE_BITS,
  type AesKsn,
  deriveAesInitialKey,
  deriveAesPinKey,
  deriveAesTransactionKey,
  formatAesKsn,
  isUsableAesCounter,
  nextAesCounter,
  parseAesKsn,
} from './dukpt-aes.js';
export {
  DukptPinEncryptor,
  type DukptPinEncryptorSettings,
  type DukptScheme,
  type PinBlockFormat,
  type PinEncryptionRequest,
  type PinEncryptionResult,
} from './dukpt-pin-encryptor.js';
export {
  DUKPT_TDES_KSN_BYTES,
  DUKPT_TDES_MAX_COUNTER,
  DUKPT_TDES_MAX_ONE_BITS,
  deriveTdesIpek,
  deriveTdesPinKey,
  deriveTdesTransactionKey,
  formatTdesKsn,
  isUsableTdesCounter,
  nextTdesCounter,
  parseTdesKsn,
  type TdesKsn,
} from './dukpt-tdes.js';
export {
  buildFormat0Block,
  decipherFormat4Block,
  encipherFormat4Block,
  isValidAccount,
  PIN_MAX_DIGITS,
  PIN_MIN_DIGITS,
  type PinReadResult,
  readFormat0Block,
} from './pin-block.js';
export {
  decryptPinBlock,
  type PinBlockDecryptionRequest,
  type PinBlockDecryptionResult,
} from './pin-block-decryption.js';
