import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { type AccountHttpApi, startAccountHttpApi } from './account-http-api.js';
import { AccountService } from './account-service.js';
import type { AccountServiceConfig } from './account-service-config.js';
import { AccountStore } from './account-store.js';
import { PinVerifier } from './pin-verifier.js';

/** The account service with its store, HSM keys and seeded accounts, without HTTP. */
export function openAccountService(
  config: AccountServiceConfig,
  options: { dbPath?: string; logger: Logger; clock?: () => Date },
): AccountService {
  const store = AccountStore.open(options.dbPath ?? config.db);
  const tdesBdk = Buffer.from(config.hsm.tdesBdk, 'hex');
  const aesBdk = Buffer.from(config.hsm.aesBdk, 'hex');
  const verifier = new PinVerifier({ tdesBdk, aesBdk });
  tdesBdk.fill(0);
  aesBdk.fill(0);
  const clock = options.clock ?? (() => new Date());
  try {
    const at = clock().toISOString();
    // Seeded accounts are created once; an operator's later changes to them are kept.
    for (const seed of config.accounts) store.add(seed.account, seed.balanceFen, seed.passwordHash, at);
  } catch (error) {
    verifier.close();
    store.close();
    throw error;
  }
  return new AccountService({
    store,
    verifier,
    lockout: { maxWrongTries: config.lockout.maxWrongTries, lockMs: config.lockout.lockMinutes * 60_000 },
    utcOffsetMinutes: config.utcOffsetMinutes,
    logger: options.logger,
    clock,
  });
}

export interface RunningAccountService {
  readonly service: AccountService;
  readonly api: AccountHttpApi;
  readonly url: string;
  stop(): Promise<void>;
}

/** Opens the service and serves its HTTP API; `listen` overrides the config's address. */
export async function startAccountServer(
  config: AccountServiceConfig,
  options: {
    dbPath?: string;
    listen?: { host: string; port: number; field?: string };
    logger: Logger;
    clock?: () => Date;
  },
): Promise<RunningAccountService> {
  const service = openAccountService(config, options);
  let api: AccountHttpApi;
  try {
    const listen = options.listen ?? config.listen;
    api = await startAccountHttpApi({
      service,
      host: listen.host,
      port: listen.port,
      token: config.token,
      accountCheckNeedsToken: config.accountCheckNeedsToken,
      rateLimit: config.rateLimit,
      creditRateLimit: config.creditRateLimit,
      listenField: options.listen?.field,
      tls:
        config.tls === undefined
          ? undefined
          : { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
      logger: options.logger,
    });
  } catch (error) {
    service.close();
    throw error;
  }
  return {
    service,
    api,
    url: api.url,
    async stop() {
      await api.close();
      service.close();
    },
  };
}
