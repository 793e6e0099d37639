import { join } from 'node:path';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { KioskConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { type RunningAccountService, startAccountServer } from './account-server.js';
import { demoAccountsConfigPath, loadAccountServiceConfig } from './account-service-config.js';

export const EMBEDDED_ACCOUNTS_FILE = 'accounts.sqlite';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where the demo's account service listens: where the kiosk's account check looks for it when
 * that is this machine (seeds/demo.yaml: http://127.0.0.1:8082/v1/account-check), else on a
 * free loopback port (tests run many demos at once), which EmbeddedFleet reports.
 */
export function embeddedAccountsAddress(config: KioskConfig): { host: string; port: number; field: string } {
  const check = config.transaction.accountCheck;
  if (check.enabled && check.url !== undefined) {
    const url = new URL(check.url);
    if (url.protocol === 'http:' && LOOPBACK.has(url.hostname) && url.pathname === '/v1/account-check') {
      return {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 80),
        field: 'transaction.accountCheck.url',
      };
    }
  }
  return { host: '127.0.0.1', port: 0, field: 'transaction.accountCheck.url' };
}

/**
 * The reference account service inside `kioskd demo`: seeds/accounts.yaml's keys, token and
 * demo accounts, its database in the kiosk's dataDir, plain HTTP on loopback.
 */
export async function startEmbeddedAccountService(
  config: KioskConfig,
  logger: Logger,
): Promise<RunningAccountService> {
  const accounts = loadAccountServiceConfig(demoAccountsConfigPath());
  try {
    return await startAccountServer(
      { ...accounts, tls: undefined },
      {
        dbPath: join(config.dataDir, EMBEDDED_ACCOUNTS_FILE),
        listen: embeddedAccountsAddress(config),
        logger,
      },
    );
  } catch (error) {
    // The daemon names the embedded broker's port for any refused listen whose errno it can
    // find; this one is already named after the account check URL, so it leaves without one.
    if (isKioskError(error) && error.code === ErrorCode.ConfigListenFailed) {
      const { errno: _errno, ...details } = error.details ?? {};
      throw new KioskError(ErrorCode.ConfigListenFailed, error.message, { details });
    }
    throw error;
  }
}
