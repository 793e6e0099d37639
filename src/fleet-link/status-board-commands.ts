import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Journal } from '../journal/journal.js';
import type { CommandHandlers } from './fleet-link-context.js';
import type { KioskStatusBoard } from './kiosk-status-board.js';

/**
 * Command handlers for a kiosk that is only its journal and a status board (no drivers in
 * this process): the mode is applied to the board at once, device actions fail saying the
 * device is not here, the journal summary is the journal's. The daemon has its own handlers
 * that reach the drivers; these serve tools and end-to-end rigs that run the link alone.
 */
export function statusBoardCommandHandlers(board: KioskStatusBoard, journal: Journal): CommandHandlers {
  const noDevice = (device: string): never => {
    throw new KioskError(ErrorCode.DeviceOffline, `no ${device} is attached to this process`, {
      details: { device },
    });
  };
  return {
    async setMode({ mode }) {
      board.setMode(mode);
      return { mode: board.mode() };
    },
    async resetDevice({ device }) {
      return noDevice(device);
    },
    async runDiagnostics({ device }) {
      return noDevice(device);
    },
    async journalSummary() {
      return { ...journal.summary() };
    },
  };
}
