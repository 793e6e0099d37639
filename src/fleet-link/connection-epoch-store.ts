import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { MAX_EPOCH } from '../fleet-protocol/index.js';
import type { Logger } from '../log.js';

export const EPOCH_FILE_NAME = 'fleet-epoch.json';

/**
 * The highest epoch a damaged file makes the store restart from, whatever the clock says:
 * half the wire bound, so 2^31 more connections fit above it. A clock set far ahead (a flat
 * RTC battery, a bad time server) must not push the kiosk's epochs to the edge of MAX_EPOCH,
 * where its status would stop being valid on the wire.
 */
export const MAX_TRUSTED_EPOCH = 2 ** 31 - 1;
/** The restart value counts seconds from here; from 1970 it would pass 2^31 in 2038. */
const RESTART_ORIGIN_MS = Date.UTC(2020, 0, 1);

/**
 * The per-connection `epoch` of the kiosk's status, kept in a small file under dataDir. Each
 * connection attempt takes the next value and makes it durable BEFORE connecting, so the Last
 * Will registered with that connection and every later `online` carry numbers that only grow,
 * across crashes and power cuts: a receiver can then drop a Will that arrives after a newer
 * `online`. The file is replaced whole (temp file, fsync, rename, fsync of the directory), so
 * a power cut leaves either the old value or the new one, never a torn one.
 */
export class ConnectionEpochStore {
  readonly path: string;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(options: { dataDir: string; logger: Logger; now?: () => Date }) {
    this.path = join(options.dataDir, EPOCH_FILE_NAME);
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
  }

  /** The last epoch handed out, 0 when none ever was. */
  current(): number {
    return this.#read();
  }

  /** Takes the next epoch and returns it once it is on disk. */
  next(): number {
    const epoch = this.#read() + 1;
    this.#write(epoch);
    return epoch;
  }

  #read(): number {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new KioskError(ErrorCode.FleetStateIo, `cannot read the fleet epoch file ${this.path}`, {
        cause: error,
        details: { path: this.path },
      });
    }
    const epoch = parseEpoch(text);
    if (epoch !== undefined) return epoch;
    // Only a failing disk gets here (the file is only ever replaced whole). Counting on from a
    // value no counted epoch can have reached keeps epochs growing, which is all they are for:
    // the seconds since 2020, as no kiosk connects more than once a second.
    const seconds = Math.floor((this.#now().getTime() - RESTART_ORIGIN_MS) / 1000);
    const restart = Math.min(MAX_TRUSTED_EPOCH, Math.max(0, seconds));
    this.#log.error(
      { path: this.path, restartAt: restart },
      'fleet epoch file is unreadable or out of range; continuing from the seconds since 2020',
    );
    return restart;
  }

  #write(epoch: number): void {
    const temp = `${this.path}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(temp, 'w', 0o644);
      try {
        writeSync(fd, `${JSON.stringify({ epoch })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
      syncDirectory(dirname(this.path));
    } catch (error) {
      throw new KioskError(ErrorCode.FleetStateIo, `cannot store fleet epoch ${epoch} in ${this.path}`, {
        cause: error,
        details: { path: this.path, epoch },
      });
    }
  }
}

/** The stored epoch, when it is one the store can count on from (below MAX_EPOCH). */
function parseEpoch(text: string): number | undefined {
  try {
    const value = (JSON.parse(text) as { epoch?: unknown } | null)?.epoch;
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < MAX_EPOCH
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** Makes the rename itself durable; without it a power cut may bring the old name back. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
