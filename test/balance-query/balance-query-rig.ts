import { PassThrough } from 'node:stream';
import { BalanceQueryService } from '../../src/balance-query/balance-query-service.js';
import type { BalanceQueryStreamEvent } from '../../src/balance-query/balance-query-view.js';
import { type KioskConfig, parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { CustomerSlot } from '../../src/topup/customer-slot.js';
import type { KioskMode } from '../../src/topup/top-up-view.js';
import { ScriptedPinPad } from './scripted-pin-pad.js';
import { startTestAccountService } from './test-account-service.js';

export const TOKEN = 'test-account-service-token';
export const BALANCE_FEN = 12_345;

/**
 * A config with the balance query on. The schema refuses `balanceQuery.enabled` until this
 * build has a PIN pad driver (devices.pinPad.enabled is refused), so the section is set after
 * parsing, with timings short enough for tests.
 */
export function balanceQueryConfig(
  url: string,
  overrides: Partial<KioskConfig['balanceQuery']> = {},
): KioskConfig {
  const config = parseConfig({ kioskId: 'bq-test-1', fleet: { enabled: false } }, 'balance query test');
  return {
    ...config,
    balanceQuery: {
      enabled: true,
      accountService: { url, token: TOKEN, timeoutMs: 400 },
      pinBlockFormat: 'iso0',
      pinEntry: { minLength: 6, maxLength: 6, timeoutMs: 2_000, autoEnd: false },
      showBalanceMs: 300,
      ...overrides,
    },
  };
}

export async function waitFor<T>(
  probe: () => T | undefined | false,
  what: string,
  timeoutMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The service over a scripted pad and the in-test account service, with every log line kept. */
export async function startBalanceQueryRig(overrides: Partial<KioskConfig['balanceQuery']> = {}) {
  const pad = new ScriptedPinPad();
  const accounts = await startTestAccountService({
    token: TOKEN,
    balanceFen: BALANCE_FEN,
    expectedPinBlockHex: Buffer.from(pad.block.pinBlock).toString('hex'),
  });
  const logStream = new PassThrough();
  const logLines: string[] = [];
  logStream.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
  // Trace: the most a technician could ever switch on.
  const logger = createLogger({ level: 'trace', destination: logStream });
  const customers = new CustomerSlot();
  const modeCalls: string[] = [];
  const modes = {
    mode: 'inService' as KioskMode,
    transactionStarted: () => modeCalls.push('started'),
    transactionEnded: () => modeCalls.push('ended'),
  };
  const config = balanceQueryConfig(accounts.url, overrides);
  const service = new BalanceQueryService({ config, pinPad: pad.asPinPad(), customers, modes, logger });
  const events: BalanceQueryStreamEvent[] = [];
  service.subscribe((event) => events.push(event));
  return {
    pad,
    accounts,
    service,
    customers,
    modes,
    modeCalls,
    events,
    logLines,
    config,
    async close() {
      service.stop();
      await accounts.close();
    },
  };
}
export type BalanceQueryRig = Awaited<ReturnType<typeof startBalanceQueryRig>>;
