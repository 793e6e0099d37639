import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import {
  ConnectionEpochStore,
  EPOCH_FILE_NAME,
  MAX_TRUSTED_EPOCH,
} from '../../src/fleet-link/connection-epoch-store.js';
import { MAX_EPOCH, statusPayloadSchema } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from './fleet-link-rig.js';

describe('connection epoch store', () => {
  it('starts at 1, counts up by one per connection, and keeps counting in a new process', () => {
    const dir = tempDir();
    const store = new ConnectionEpochStore({ dataDir: dir, logger: silentLogger() });
    expect(store.current()).toBe(0);
    expect([store.next(), store.next(), store.next()]).toEqual([1, 2, 3]);
    const reopened = new ConnectionEpochStore({ dataDir: dir, logger: silentLogger() });
    expect(reopened.current()).toBe(3);
    expect(reopened.next()).toBe(4);
    expect(JSON.parse(readFileSync(join(dir, EPOCH_FILE_NAME), 'utf8'))).toEqual({ epoch: 4 });
    expect(readdirSync(dir)).toEqual([EPOCH_FILE_NAME]);
  });

  it('creates a missing data directory', () => {
    const dir = join(tempDir(), 'not', 'yet');
    expect(new ConnectionEpochStore({ dataDir: dir, logger: silentLogger() }).next()).toBe(1);
    expect(existsSync(join(dir, EPOCH_FILE_NAME))).toBe(true);
  });

  it('continues above any counted epoch from a damaged file, so epochs still only grow', () => {
    const dir = tempDir();
    writeFileSync(join(dir, EPOCH_FILE_NAME), '{"epoch": 7');
    const now = new Date('2026-01-01T00:00:00Z');
    const store = new ConnectionEpochStore({ dataDir: dir, logger: silentLogger(), now: () => now });
    const epoch = store.next();
    // Seconds since 2020-01-01: above anything counted one connection at a time since then.
    expect(epoch).toBe((now.getTime() - Date.UTC(2020, 0, 1)) / 1000 + 1);
    expect(store.next()).toBe(epoch + 1);
  });

  it('cannot be pushed near the wire bound: a huge stored value or a far-future clock stays below MAX_TRUSTED_EPOCH', () => {
    const dir = tempDir();
    writeFileSync(join(dir, EPOCH_FILE_NAME), `{"epoch": ${Number.MAX_SAFE_INTEGER - 1}}\n`);
    const now = new Date('2026-01-01T00:00:00Z');
    const store = new ConnectionEpochStore({ dataDir: dir, logger: silentLogger(), now: () => now });
    const epoch = store.next();
    expect(epoch).toBeLessThan(2 ** 30);
    expect(statusPayloadSchema.shape.epoch.safeParse(epoch).success).toBe(true);

    const future = tempDir();
    writeFileSync(join(future, EPOCH_FILE_NAME), 'garbage');
    const farClock = new ConnectionEpochStore({
      dataDir: future,
      logger: silentLogger(),
      now: () => new Date('9999-12-31T00:00:00Z'),
    });
    expect(farClock.next()).toBe(MAX_TRUSTED_EPOCH + 1);
    expect(MAX_EPOCH - MAX_TRUSTED_EPOCH).toBeGreaterThanOrEqual(2 ** 31);
  });

  it('refuses with FleetStateIo when the epoch cannot be made durable, leaving the old value', () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; a path through a regular file fails for everyone.
      const dir = tempDir();
      writeFileSync(join(dir, 'file'), 'x');
      const store = new ConnectionEpochStore({ dataDir: join(dir, 'file'), logger: silentLogger() });
      expect(() => store.next()).toThrow(expect.objectContaining({ code: ErrorCode.FleetStateIo }));
      return;
    }
    const dir = tempDir();
    const store = new ConnectionEpochStore({ dataDir: dir, logger: silentLogger() });
    store.next();
    chmodSync(dir, 0o500);
    try {
      let caught: unknown;
      try {
        store.next();
      } catch (error) {
        caught = error;
      }
      expect(isKioskError(caught, ErrorCode.FleetStateIo)).toBe(true);
      expect(store.current()).toBe(1);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});
