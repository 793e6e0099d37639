import { z } from 'zod';
import {
  amount,
  fieldsAreClean,
  intFrom,
  reconnect,
  requireOwnSimulator,
  serialPort,
} from '../../../core/config-fields.js';

/*
 * The config file's `devices.cashAcceptor` section when `protocol` is "id003". What only ID-003
 * has lives here: its poll window, the STACK-1/STACK-2 choice, HOLD while the host decides, and
 * overrides keyed by its escrow codes. Another protocol brings its own fragment.
 */

export const ID003_ESCROW_CODES = ['0x61', '0x62', '0x63', '0x64', '0x65', '0x66', '0x67', '0x68'] as const;

/** A real unit wants 100-200 ms between polls; a simulator is not bound by that, and a bench needs it fast. */
const REAL_POLL_MIN_MS = 100;
const SIM_POLL_MIN_MS = 10;
const POLL_MAX_MS = 200;
const POLL_INTERVAL_EXPECTATION = `expected an integer from ${REAL_POLL_MIN_MS} to ${POLL_MAX_MS} (from ${SIM_POLL_MIN_MS} on a sim: port)`;
const SIMULATED_PORT = 'sim:id003';

export const id003ConfigSchema = z
  .strictObject({
    port: serialPort(SIMULATED_PORT),
    protocol: z.literal('id003').default('id003'),
    pollIntervalMs: z
      .int({ error: POLL_INTERVAL_EXPECTATION })
      .min(SIM_POLL_MIN_MS, { error: POLL_INTERVAL_EXPECTATION })
      .max(POLL_MAX_MS, { error: POLL_INTERVAL_EXPECTATION })
      .default(150),
    // At least 150 ms: a retry sent before the unit's own inter-byte timeout (about 100 ms on
    // the simulator; unpublished on real units) is glued onto the garbage of the frame it
    // replaces, and a stale command can then run late.
    answerTimeoutMs: intFrom(150, 2000).default(300),
    retries: intFrom(0, 10).default(3),
    silenceTimeoutMs: intFrom(200, 60_000).default(2000),
    stackCommand: z.enum(['stack1', 'stack2']).default('stack2'),
    /** 0 decides at once; above 0 the driver sends HOLD while the decision waits. */
    escrowHoldMs: intFrom(0, 30_000).default(0),
    /** For units whose own currency table is wrong: escrow code -> denomination. */
    denominationOverride: z
      .partialRecord(z.enum(ID003_ESCROW_CODES), amount(), {
        error: 'expected a mapping from escrow codes ("0x61" to "0x68") to denominations',
      })
      .optional(),
    reconnect: reconnect({ initialDelayMs: 250, maxDelayMs: 10_000, factor: 2, jitter: 0.3 }),
  })
  .superRefine((value, ctx) => {
    requireOwnSimulator(ctx, value, SIMULATED_PORT, 'ID-003 acceptor');
    if (
      !value.port.startsWith('sim:') &&
      value.pollIntervalMs < REAL_POLL_MIN_MS &&
      fieldsAreClean(ctx, ['pollIntervalMs'], ['port'])
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['pollIntervalMs'],
        message: `expected ${REAL_POLL_MIN_MS} to ${POLL_MAX_MS} for a real acceptor`,
        input: value.pollIntervalMs,
      });
    }
  });

export type Id003AcceptorConfig = z.output<typeof id003ConfigSchema>;

/**
 * Where the section's escrow-code overrides name a denomination the kiosk does not take: the
 * path under the section and what was expected, for the config to report.
 */
export function id003OverrideProblems(
  config: Id003AcceptorConfig,
  denominations: readonly number[],
): { path: string[]; message: string; input: number }[] {
  const problems: { path: string[]; message: string; input: number }[] = [];
  for (const [code, denomination] of Object.entries(config.denominationOverride ?? {})) {
    if (denomination !== undefined && !denominations.includes(denomination)) {
      problems.push({
        path: ['denominationOverride', code],
        message: `expected one of currency.denominations (${denominations.join(', ')})`,
        input: denomination,
      });
    }
  }
  return problems;
}
