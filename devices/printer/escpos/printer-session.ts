import type { Logger } from '../../../core/logger.js';
import type { SessionState } from '../../transport/polled-session.js';
import { AsbEnable, CLEAR_BUFFERS, enableAutomaticStatusBack, INITIALIZE } from './codec/index.js';

/** ASB on every change the driver acts on: online/offline, errors, paper, the feed button. */
const ASB_BITS = AsbEnable.onlineOffline | AsbEnable.error | AsbEnable.rollPaper | AsbEnable.panelSwitch;
const SETUP_ATTEMPTS = 3;

/** One connection to the printer, and whether it has been set up. */
export interface PrinterSession extends SessionState {
  /** `DLE DC4 8`, `ESC @` and `GS a` go before the first status read of every connection. */
  setupPending: boolean;
  /**
   * A printer answers `GS a` with a first ASB message. Without it the setup may have reached a
   * printer still booting, so it is sent again, a few times, before the poll is left alone to do.
   */
  asbConfirmed: boolean;
  setupAttempts: number;
  setupAt: number;
}

export function newPrinterSession(id: number): PrinterSession {
  return { id, active: true, setupPending: true, asbConfirmed: false, setupAttempts: 0, setupAt: 0 };
}

/** Asks for the setup again: after a silence that may have been a power cycle, or a reset. */
export function setUpAgain(session: PrinterSession): void {
  session.setupPending = true;
  session.setupAttempts = 0;
}

/** Writes the setup if it is pending; the caller makes sure no job is running (`ESC @` resets modes). */
export async function setUpPrinter(
  session: PrinterSession,
  write: (bytes: Uint8Array, what: string) => Promise<unknown>,
  now: number,
): Promise<void> {
  if (!session.setupPending) return;
  // Whatever the printer holds now is the tail of a job that failed (ours or a previous run's).
  await write(CLEAR_BUFFERS, 'DLE DC4 8');
  await write(INITIALIZE, 'ESC @');
  session.asbConfirmed = false;
  session.setupAttempts++;
  session.setupAt = now;
  await write(enableAutomaticStatusBack(ASB_BITS), 'GS a');
  session.setupPending = false;
}

/** After a status read: no ASB message within `answerTimeoutMs` of `GS a` means it may not have been heard. */
export function checkAsbHeard(
  session: PrinterSession,
  now: number,
  answerTimeoutMs: number,
  log: Logger,
): void {
  if (session.asbConfirmed || session.setupPending) return;
  if (now - session.setupAt < answerTimeoutMs) return;
  if (session.setupAttempts < SETUP_ATTEMPTS) {
    session.setupPending = true;
  } else if (session.setupAttempts === SETUP_ATTEMPTS) {
    session.setupAttempts++;
    log.warn('printer sends no Automatic Status Back; relying on the status poll');
  }
}
