import type { Snapshot } from 'xstate';
import { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { TopUpContext } from './top-up-context.js';
import {
  TOP_UP_RESTING_STATES,
  TOP_UP_STATES,
  type TopUpStateName,
  topUpOutputFor,
  topUpStateName,
} from './top-up-machine.js';

/**
 * Bump when TopUpContext or the state names change shape, and teach restoreTopUp the old
 * version: a snapshot from another version is refused, never silently reset, because it may
 * describe money in the cashbox.
 */
export const TOP_UP_SNAPSHOT_VERSION = 1;

export interface PersistedTopUp {
  version: number;
  value: unknown;
  context: TopUpContext;
}

const amount = z.number().int().nonnegative();
const positive = z.number().int().positive();
const note = z.strictObject({ noteId: z.string().min(1), denomination: positive });

const contextV1 = z.strictObject({
  denominations: z.array(positive).min(1),
  limits: z.strictObject({
    maxPerTransaction: positive,
    maxPerAccountPerDay: positive,
    maxNotesPerTransaction: positive,
  }),
  accountCheck: z.strictObject({ enabled: z.boolean(), offlinePolicy: z.enum(['accept', 'refuse']) }),
  timeouts: z.strictObject({
    accountEntryMs: positive,
    accountCheckMs: positive,
    idleCompleteMs: positive,
    noCashMs: positive,
    commitRetryMs: positive,
  }),
  account: z.string().nullable(),
  error: z
    .strictObject({
      code: z.enum([
        'invalidAccount',
        'accountUnknown',
        'accountCheckUnavailable',
        'journalUnavailable',
        'commitFailed',
      ]),
      detail: z.string().optional(),
    })
    .nullable(),
  txId: z.string().min(1).nullable(),
  dailyTotalSoFar: amount,
  notes: z.array(note),
  total: amount,
  cashInOpen: z.boolean(),
  acceptedDenominations: z.array(positive),
  noteInProgress: z.boolean(),
  escrow: z.strictObject({ escrowId: z.string(), denomination: positive }).nullable(),
  cancelRequested: z.boolean(),
  kind: z.enum(['complete', 'partial']).nullable(),
  paymentId: z.string().min(1).nullable(),
  amount: amount.nullable(),
  seq: positive.nullable(),
  receipt: z.boolean().nullable(),
  cancelReason: z
    .enum([
      'customerCancelled',
      'accountEntryTimeout',
      'noCashTimeout',
      'accountCheckUnavailable',
      'journalUnavailable',
      'recovered',
      'maintenance',
    ])
    .nullable(),
  commitAttempts: z.number().int().nonnegative(),
  recoveredFrom: z.enum(TOP_UP_STATES).nullable(),
});

function invalid(message: string, details: Record<string, unknown>): KioskError {
  return new KioskError(ErrorCode.SnapshotInvalid, `top-up snapshot: ${message}`, { details });
}

/** What the journal stores for a running top-up: plain JSON, stamped with its schema version. */
export function persistTopUp(actor: {
  getSnapshot(): { value: unknown; context: TopUpContext };
}): PersistedTopUp {
  const snapshot = actor.getSnapshot();
  return JSON.parse(
    JSON.stringify({ version: TOP_UP_SNAPSHOT_VERSION, value: snapshot.value, context: snapshot.context }),
  ) as PersistedTopUp;
}

/**
 * A snapshot for `createActor(machine, { snapshot })`. Only a top-up at rest comes back as it
 * was; any other lands in `recovering`, because xstate does not persist delayed transitions
 * and would restart invoked actors (a second journal open, a second print) on its own.
 */
export function restoreTopUp(persisted: unknown): Snapshot<unknown> {
  if (typeof persisted !== 'object' || persisted === null || Array.isArray(persisted))
    throw invalid('expected an object with version, value and context', { got: typeof persisted });
  const { version, value, context } = persisted as Record<string, unknown>;
  if (version !== TOP_UP_SNAPSHOT_VERSION)
    throw new KioskError(
      ErrorCode.SnapshotUnknownVersion,
      `top-up snapshot version ${JSON.stringify(version)} is not one this daemon knows (it knows ${TOP_UP_SNAPSHOT_VERSION})`,
      { details: { version, known: [TOP_UP_SNAPSHOT_VERSION] } },
    );
  let state: TopUpStateName;
  try {
    state = topUpStateName({ value });
  } catch {
    throw invalid('value names no state of the top-up machine', { value });
  }
  if (typeof value === 'object' && state !== 'insertingCash')
    throw invalid(`state ${state} has no substates`, { value });
  const parsed = contextV1.safeParse(context);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? ['context', ...issue.path].join('.') : 'context';
    throw invalid(`${where}: ${issue?.message ?? 'invalid'}`, { path: where });
  }
  const restored: TopUpContext = parsed.data;
  const base = { children: {}, historyValue: {}, error: undefined };
  if (state === 'idle')
    return {
      ...base,
      status: 'active',
      value: 'idle',
      context: restored,
      output: undefined,
    } as Snapshot<unknown>;
  if (TOP_UP_RESTING_STATES.includes(state)) {
    const final = state as 'done' | 'cancelled';
    let output: unknown;
    try {
      output = topUpOutputFor(final, restored);
    } catch (cause) {
      throw invalid(`state ${final} without the payment it needs`, { state: final, cause: String(cause) });
    }
    return { ...base, status: 'done', value: final, context: restored, output } as Snapshot<unknown>;
  }
  const recovering: TopUpContext = {
    ...restored,
    // Nothing is accepted until recovery decided: decideEscrow returns every note meanwhile.
    cashInOpen: false,
    acceptedDenominations: [],
    recoveredFrom: state === 'recovering' ? restored.recoveredFrom : state,
  };
  return {
    ...base,
    status: 'active',
    value: 'recovering',
    context: recovering,
    output: undefined,
  } as Snapshot<unknown>;
}
