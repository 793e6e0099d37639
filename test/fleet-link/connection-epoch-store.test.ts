import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../src/errors.js';
import { ConnectionEpochStore, EPOCH_FILE_NAME } from '../../src/fleet-link/connection-epoch-store.js';
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
    expect(epoch).toBe(now.getTime() / 1000 + 1);
    expect(store.next()).toBe(epoch + 1);
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
