import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { filePath, flag, intFrom } from '../../core/config-fields.js';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readConfigDocument } from '../config/config-text.js';
import { expectationFor, problemLines } from '../config/problem-lines.js';
import { passwordHashProblem } from '../security/password-hash.js';
import { CN_MOBILE_PATTERN } from './account-store.js';

/*
 * The account service's own config (`kioskd accounts serve --config FILE`, seeds/accounts.yaml
 * for the demo): where it listens, its bearer token, the HSM's base derivation keys, the
 * lockout, and accounts to create when the database lacks them. It is the operator's file,
 * never a kiosk's: a kiosk config holds no key.
 */

const HEX_KEY = 'expected 32 hex digits (a 16-byte key)';
const hexKey = () => z.string({ error: HEX_KEY }).regex(/^[0-9A-Fa-f]{32}$/, { error: HEX_KEY });
const TOKEN = 'expected a token of 16 to 256 printable characters without spaces';
const ACCOUNT = 'expected an 11-digit mainland China mobile number (1[3-9]xxxxxxxxx)';

const seededAccount = z.strictObject({
  account: z.string({ error: ACCOUNT }).regex(CN_MOBILE_PATTERN, { error: ACCOUNT }),
  balanceFen: intFrom(0, 1_000_000_000),
  passwordHash: z.string().superRefine((value, ctx) => {
    const problem = passwordHashProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
  }),
});

export const accountServiceConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: intFrom(0, 65_535).default(8082),
    })
    .prefault({}),
  /** Both or neither: with them the API is served over HTTPS only. */
  tls: z.strictObject({ cert: filePath(), key: filePath() }).optional(),
  token: z.string({ error: TOKEN }).regex(/^[\x21-\x7e]{16,256}$/, { error: TOKEN }),
  accountCheckNeedsToken: flag().default(true),
  db: filePath().default('./var/accounts.sqlite'),
  /** The HSM's base derivation keys: TDES for ISO format 0 PIN blocks, AES-128 for format 4. */
  hsm: z.strictObject({ tdesBdk: hexKey(), aesBdk: hexKey() }),
  lockout: z
    .strictObject({
      maxWrongTries: intFrom(1, 10).default(3),
      lockMinutes: intFrom(1, 7 * 24 * 60).default(30),
    })
    .prefault({}),
  /** Per client address, on balance queries and account checks (the kiosks). */
  rateLimit: z
    .strictObject({
      perSecond: intFrom(1, 10_000).default(20),
      burst: intFrom(1, 10_000).default(40),
    })
    .prefault({}),
  /** Per client address, on credits: the fleet ledger is one client carrying every kiosk's payments. */
  creditRateLimit: z
    .strictObject({
      perSecond: intFrom(1, 100_000).default(1000),
      burst: intFrom(1, 100_000).default(2000),
    })
    .prefault({}),
  /** The day `dailyTotalSoFar` counts starts at local midnight at this offset (480 minutes: China). */
  utcOffsetMinutes: intFrom(-720, 840).default(480),
  accounts: z.array(seededAccount).max(10_000).default([]),
});

export type AccountServiceConfig = z.output<typeof accountServiceConfigSchema>;

export function parseAccountServiceConfig(raw: unknown, source: string): AccountServiceConfig {
  const result = accountServiceConfigSchema.safeParse(raw ?? {}, {
    reportInput: true,
    error: expectationFor,
  });
  if (result.success) return result.data;
  const problems = problemLines(result.error.issues, accountServiceConfigSchema, raw);
  throw new KioskError(ErrorCode.ConfigInvalid, problems.join('\n'), { details: { source, problems } });
}

export function loadAccountServiceConfig(path: string): AccountServiceConfig {
  return parseAccountServiceConfig(readConfigDocument(path), path);
}

/** Absolute path of seeds/accounts.yaml, from src/accounts/ (tsx) or dist/src/accounts/ (built). */
export function demoAccountsConfigPath(): string {
  const candidates = ['../../seeds/accounts.yaml', '../../../seeds/accounts.yaml'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new KioskError(
      ErrorCode.ConfigNotFound,
      `demo accounts config not found at ${candidates.join(' or ')}`,
      {
        details: { candidates },
      },
    );
  }
  return found;
}
