import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { CommandResult, FleetPublicKey } from '../fleet-protocol/index.js';
import { FLEET_PAYLOAD_VERSION } from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { type CommandVerdict, MAX_COMMAND_LIFETIME_MS, verifyCommand } from './command-verifier.js';
import type { CommandHandlers, CommandOutput } from './fleet-link-context.js';
import type { RefusalTally } from './refusal-tally.js';

const MAX_ERROR_MESSAGE = 500;

export interface FleetCommandsOptions {
  kioskId: string;
  keys: readonly FleetPublicKey[];
  maxPayloadBytes: number;
  maxClockSkewMs: number;
  journal: Journal;
  refusals: RefusalTally;
  /** The kiosk's actions (setMode, resetDevice, runDiagnostics, journalSummary). */
  handlers: CommandHandlers;
  /** The link's own actions, answered from its state and connection. */
  builtIns: { status(): CommandOutput; rebirth(): CommandOutput };
  /** Sends a result on `cmd/result` (queued while the broker is away). */
  answer(result: CommandResult): void;
  clock: () => Date;
  logger: Logger;
}

/**
 * The `cmd` topic's side of the fleet link (DESIGN.md "Commands"): every command is verified
 * (signature, freshness, replay) before anything runs, accepted ones are audited with the key
 * that signed them, and each gets exactly one result. Unsigned junk is counted and answered
 * only at the refusal tally's bounded rate, so a flood cannot fill the journal or the queue.
 */
export class FleetCommands {
  readonly #o: FleetCommandsOptions;

  constructor(options: FleetCommandsOptions) {
    this.#o = options;
  }

  /** Forgets command ids past any command's lifetime (they can no longer be replayed). */
  pruneIds(): void {
    const { journal, maxClockSkewMs, clock, logger } = this.#o;
    if (!journal.isOpen) return;
    try {
      journal.commands.prune(new Date(clock().getTime() - MAX_COMMAND_LIFETIME_MS - maxClockSkewMs));
    } catch (error) {
      logger.error({ err: error }, 'cannot prune remembered command ids');
    }
  }

  handle(raw: Buffer): void {
    const o = this.#o;
    let verdict: CommandVerdict;
    try {
      verdict = verifyCommand(raw, {
        kioskId: o.kioskId,
        keys: [...o.keys],
        maxPayloadBytes: o.maxPayloadBytes,
        maxClockSkewMs: o.maxClockSkewMs,
        journal: o.journal,
        now: o.clock,
      });
    } catch (error) {
      // The journal could not record the command id: without replay protection it must not run.
      o.logger.error({ err: error }, 'command check failed');
      this.#answer(null, { status: 'failed', error: { reason: 'internal', message: messageOf(error) } });
      return;
    }
    if (!verdict.accepted) {
      const { reason, message, cmdId, action, keyId } = verdict;
      if (keyId === undefined) {
        // Nothing proves who sent it: counted, and answered only at a bounded rate (see RefusalTally).
        if (o.refusals.record('command', reason, { bytes: raw.length, message })) {
          o.logger.warn({ cmdId, action, reason }, 'fleet command rejected');
          this.#answer(cmdId, { status: 'rejected', error: { reason, message } });
        }
        return;
      }
      o.logger.warn({ cmdId, action, reason }, 'fleet command rejected');
      this.#audit('command.rejected', { cmdId, action, keyId, reason, message, bytes: raw.length });
      this.#answer(cmdId, { status: 'rejected', error: { reason, message } });
      return;
    }
    const { envelope, action, args, keyId } = verdict;
    const cmdId = envelope.cmdId;
    o.logger.info({ cmdId, action, keyId }, 'fleet command accepted');
    this.#audit('command.accepted', { cmdId, action, keyId, args: envelope.args });
    this.#run(action, args).then(
      (result) => {
        this.#audit('command.ok', { cmdId, action, keyId });
        this.#answer(cmdId, { status: 'ok', result });
      },
      (error: unknown) => {
        o.logger.warn({ err: error, cmdId, action }, 'fleet command failed');
        const reason = isKioskError(error) ? `error${error.code}` : 'error';
        this.#audit('command.failed', { cmdId, action, keyId, reason, message: messageOf(error) });
        this.#answer(cmdId, { status: 'failed', error: { reason, message: messageOf(error) } });
      },
    );
  }

  async #run(action: string, args: unknown): Promise<CommandOutput> {
    const { handlers, builtIns } = this.#o;
    switch (action) {
      case 'status':
        return builtIns.status();
      case 'rebirth':
        return builtIns.rebirth();
      case 'setMode':
        return handlers.setMode(args as Parameters<CommandHandlers['setMode']>[0]);
      case 'resetDevice':
        return handlers.resetDevice(args as Parameters<CommandHandlers['resetDevice']>[0]);
      case 'runDiagnostics':
        return handlers.runDiagnostics(args as Parameters<CommandHandlers['runDiagnostics']>[0]);
      case 'journalSummary':
        return handlers.journalSummary(args as Parameters<CommandHandlers['journalSummary']>[0]);
      default:
        throw new KioskError(ErrorCode.FleetRejectedCommand, `no handler for action ${action}`);
    }
  }

  #answer(
    cmdId: string | null,
    outcome: Pick<CommandResult, 'status'> & Partial<Pick<CommandResult, 'result' | 'error'>>,
  ): void {
    this.#o.answer({
      v: FLEET_PAYLOAD_VERSION,
      kioskId: this.#o.kioskId,
      ts: this.#o.clock().toISOString(),
      cmdId,
      ...outcome,
    });
  }

  #audit(action: string, details: Record<string, unknown>): void {
    try {
      const clean = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
      this.#o.journal.audit.append('fleet', action, clean);
    } catch (error) {
      this.#o.logger.error({ err: error, action }, 'cannot write the command audit entry');
    }
  }
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE - 1)}…` : text;
}
