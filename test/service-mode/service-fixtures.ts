import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { DeviceMap } from '../../src/devices/device-map.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { hashServicePassword } from '../../src/security/password-hash.js';
import {
  type CustomerHandover,
  ServiceMode,
  type ServiceModePorts,
} from '../../src/service-mode/service-mode.js';
import { TechnicianAuth } from '../../src/service-mode/technician-auth.js';
import { TechnicianLockouts } from '../../src/service-mode/technician-lockouts.js';
import type { KioskMode } from '../../src/topup/top-up-view.js';

/** Cheap scrypt for tests: the parameters travel in the hash, so verification takes the same path. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
export const GOOD_PASSWORD = 'right-password-1';

export function testHash(password: string): Promise<string> {
  return hashServicePassword(Buffer.from(password), TEST_SCRYPT);
}

/** The kiosk modes as service mode drives them, recorded: maintenance is entered at once (no customer). */
export class RecordingPorts implements ServiceModePorts {
  mode: KioskMode = 'inService';
  before: KioskMode = 'inService';
  readonly calls: string[] = [];
  readonly #listeners = new Set<(mode: KioskMode) => void>();

  onModeChange(listener: (mode: KioskMode) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  enterMaintenance(by: string): void {
    this.calls.push(`enter ${by}`);
    if (this.mode !== 'maintenance') this.before = this.mode;
    this.#set('maintenance');
  }
  /** No customer in these tests unless one sets `customer`. */
  customer: CustomerHandover = 'none';
  endCustomerWithoutCash(): CustomerHandover {
    this.calls.push(`end customer (${this.customer})`);
    return this.customer;
  }
  leaveMaintenance(by: string): void {
    this.calls.push(`leave ${by}`);
    this.#set(this.before);
  }
  async requestOperatorMode(mode: 'inService' | 'outOfService', by: string): Promise<KioskMode> {
    this.calls.push(`operator ${mode} ${by}`);
    this.before = mode;
    this.#set(mode);
    return mode;
  }
  #set(mode: KioskMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    for (const listener of this.#listeners) listener(mode);
  }
}

export interface ServiceFixture {
  dir: string;
  journal: Journal;
  ports: RecordingPorts;
  service: ServiceMode;
  /** Empty: a test adds the devices it plays. */
  devices: DeviceMap;
  now: { ms: number };
  reopen(): ServiceFixture;
  close(): void;
}

/** A journal in a scratch directory, technicians t-001 and t-002 (both GOOD_PASSWORD), recorded modes. */
export async function serviceFixture(
  options: { idleMs?: number; dir?: string; hash?: string } = {},
): Promise<ServiceFixture> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kioskd-service-'));
  const hash = options.hash ?? (await testHash(GOOD_PASSWORD));
  const build = (): ServiceFixture => {
    const config = parseConfig(
      {
        kioskId: 'svc-test-1',
        dataDir: join(dir, 'var'),
        devices: { cashAcceptor: { port: 'sim:id003' } },
        fleet: { enabled: false },
        technicians: [
          { id: 't-001', passwordHash: hash },
          { id: 't-002', passwordHash: hash },
        ],
      },
      'service test',
    );
    const journal = Journal.open({
      path: join(dir, 'journal.sqlite'),
      kioskId: 'svc-test-1',
      logger: silentLogger(),
    });
    const now = { ms: Date.parse('2026-12-05T10:00:00Z') };
    const lockouts = new TechnicianLockouts({ journal, maxFailures: 5, lockMs: 15 * 60_000 });
    const auth = new TechnicianAuth({
      technicians: config.technicians,
      journal,
      lockouts,
      now: () => now.ms,
    });
    const ports = new RecordingPorts();
    const devices = new DeviceMap();
    const service = new ServiceMode({
      ports,
      auth,
      journal,
      config,
      devices,
      logger: silentLogger(),
      idleMs: options.idleMs ?? 10 * 60_000,
    });
    return {
      dir,
      journal,
      ports,
      service,
      devices,
      now,
      reopen() {
        service.stop();
        journal.close();
        return build();
      },
      close() {
        service.stop();
        journal.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return build();
}

export const password = (text: string): Buffer => Buffer.from(text, 'utf8');
