import type { KeyObject } from 'node:crypto';
import {
  COMMAND_ACTIONS,
  type CommandAction,
  type CommandEnvelope,
  type CommandRejectReason,
  commandArgsSchemas,
  commandEnvelopeSchema,
  verifyCommandSignature,
} from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';

/**
 * The longest a command may be valid (expiresAt − issuedAt). Bounding it is what lets the
 * journal forget command ids after a while: a replay of a forgotten id is expired anyway.
 */
export const MAX_COMMAND_LIFETIME_MS = 24 * 60 * 60 * 1000;

const CMD_ID = /^[A-Za-z0-9_-]{8,64}$/;

export type CommandVerdict =
  | { accepted: true; envelope: CommandEnvelope; action: CommandAction; args: unknown; keyId: string }
  | {
      accepted: false;
      reason: CommandRejectReason;
      message: string;
      /** null when the payload was too broken to name one. */
      cmdId: string | null;
      action?: string;
      keyId?: string;
    };

export interface CommandVerifierOptions {
  kioskId: string;
  keys: ReadonlyArray<{ id: string; key: KeyObject }>;
  maxPayloadBytes: number;
  maxClockSkewMs: number;
  journal: Journal;
  now: () => Date;
}

/**
 * Checks a received `cmd` payload in the order DESIGN.md gives: size, JSON, envelope,
 * signature, addressee, freshness, replay, allowlist, arguments. Cheap checks come first so
 * junk costs little, and the replay record is written only for a command that is genuinely
 * signed, addressed here and current, so forged traffic cannot fill the journal.
 */
export function verifyCommand(raw: Buffer, opts: CommandVerifierOptions): CommandVerdict {
  if (raw.length > opts.maxPayloadBytes) {
    return reject('oversized', `command of ${raw.length} bytes exceeds ${opts.maxPayloadBytes}`, null);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return reject('malformed', `command is not JSON: ${(error as Error).message}`, null);
  }
  const loose =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  const readableId =
    typeof loose?.['cmdId'] === 'string' && CMD_ID.test(loose['cmdId']) ? loose['cmdId'] : null;
  if (loose !== undefined && (loose['sig'] === undefined || loose['sig'] === '')) {
    const withoutSig = Object.fromEntries(Object.entries(loose).filter(([key]) => key !== 'sig'));
    const rest = commandEnvelopeSchema.omit({ sig: true }).safeParse(withoutSig);
    if (rest.success) return reject('unsigned', 'command carries no signature', readableId, rest.data.action);
  }
  const parsed = commandEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'payload';
    return reject('malformed', `command envelope ${where}: ${issue?.message ?? 'invalid'}`, readableId);
  }
  const envelope = parsed.data;
  const { cmdId, action } = envelope;

  const keyId = verifyCommandSignature(envelope, opts.keys);
  if (keyId === undefined) {
    return reject('badSignature', 'signature does not verify with any configured fleet key', cmdId, action);
  }
  if (envelope.kioskId !== opts.kioskId) {
    return reject(
      'wrongKiosk',
      `command is addressed to ${envelope.kioskId}, this is ${opts.kioskId}`,
      cmdId,
      action,
      keyId,
    );
  }

  const now = opts.now().getTime();
  const issuedAt = Date.parse(envelope.issuedAt);
  const expiresAt = Date.parse(envelope.expiresAt);
  if (expiresAt <= issuedAt || expiresAt - issuedAt > MAX_COMMAND_LIFETIME_MS) {
    return reject(
      'malformed',
      `expiresAt must fall after issuedAt and at most ${MAX_COMMAND_LIFETIME_MS / 3_600_000} h later`,
      cmdId,
      action,
      keyId,
    );
  }
  if (expiresAt <= now) {
    return reject('expired', `command expired at ${envelope.expiresAt}`, cmdId, action, keyId);
  }
  if (issuedAt > now + opts.maxClockSkewMs) {
    return reject(
      'notYetValid',
      `command issued at ${envelope.issuedAt}, more than ${opts.maxClockSkewMs} ms ahead of this kiosk's clock`,
      cmdId,
      action,
      keyId,
    );
  }

  if (!opts.journal.commands.remember({ cmdId, action }).firstSeen) {
    return reject('replayed', `command ${cmdId} was already received`, cmdId, action, keyId);
  }
  if (!(COMMAND_ACTIONS as readonly string[]).includes(action)) {
    return reject(
      'unknownAction',
      `action ${action} is not one this kiosk obeys (${COMMAND_ACTIONS.join(', ')})`,
      cmdId,
      action,
      keyId,
    );
  }
  const known = action as CommandAction;
  const args = commandArgsSchemas[known].safeParse(envelope.args);
  if (!args.success) {
    const issue = args.error.issues[0];
    const where = issue?.path.join('.') || 'args';
    return reject('badArgs', `${action} ${where}: ${issue?.message ?? 'invalid'}`, cmdId, action, keyId);
  }
  return { accepted: true, envelope, action: known, args: args.data, keyId };
}

function reject(
  reason: CommandRejectReason,
  message: string,
  cmdId: string | null,
  action?: string,
  keyId?: string,
): CommandVerdict {
  return {
    accepted: false,
    reason,
    message,
    cmdId,
    ...(action === undefined ? {} : { action }),
    ...(keyId === undefined ? {} : { keyId }),
  };
}
