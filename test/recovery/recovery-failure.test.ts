import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../devices/device-status.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { AlertList } from '../../src/recovery/recovery-alerts.js';
import { startStartUpRecovery } from '../../src/recovery/start-up-recovery.js';

class FakeAcceptor extends EventEmitter {
  status: DeviceStatus = { state: 'online' };
}

/**
 * When the journal fails under recovery, the kiosk must not open for customers on money it has
 * not accounted for: firstContact rejects (the kiosk stays `starting`) and nothing is thrown
 * out of a timer or an event to crash the daemon.
 */
describe('start-up recovery: a journal that fails mid-way', () => {
  it('rejects firstContact and settled with the journal error, after the acceptor reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-recovery-fail-'));
    try {
      const journal = Journal.open({ path: join(dir, 'j.sqlite'), kioskId: 'k-1', logger: silentLogger() });
      const acceptor = new FakeAcceptor();
      const recovery = startStartUpRecovery({
        journal,
        device: 'cashAcceptor',
        acceptor,
        alerts: new AlertList(),
        logger: silentLogger(),
        firstContactTimeoutMs: 5_000,
      });
      journal.close();
      acceptor.emit('ready');
      await expect(recovery.firstContact).rejects.toMatchObject({ code: 4003 });
      await expect(recovery.settled).rejects.toMatchObject({ code: 4003 });
      recovery.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same when the acceptor never reports and the timeout pass fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-recovery-fail-'));
    try {
      const journal = Journal.open({ path: join(dir, 'j.sqlite'), kioskId: 'k-1', logger: silentLogger() });
      const recovery = startStartUpRecovery({
        journal,
        device: 'cashAcceptor',
        acceptor: new FakeAcceptor(),
        alerts: new AlertList(),
        logger: silentLogger(),
        firstContactTimeoutMs: 20,
      });
      journal.close();
      await expect(recovery.firstContact).rejects.toMatchObject({ code: 4003 });
      recovery.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
