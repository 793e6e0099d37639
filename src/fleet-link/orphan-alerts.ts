import { type AlertPayload, FLEET_PAYLOAD_VERSION } from '../fleet-protocol/index.js';
import type { OrphanCreditRecord } from '../journal/journal-types.js';

/**
 * A credit the journal could not put in any transaction is money the kiosk holds for nobody:
 * a technician has to resolve it. The orphan's own id (a ULID) is the alertId, so an alert
 * sent again after a crash before `markOrphanAlerted` is recognisably the same alert.
 */
export function orphanCreditAlert(orphan: OrphanCreditRecord, kioskId: string, now: Date): AlertPayload {
  return {
    v: FLEET_PAYLOAD_VERSION,
    kioskId,
    ts: now.toISOString(),
    alertId: orphan.orphanId,
    device: orphan.device.slice(0, 32),
    kind: 'orphanCredit',
    action: 'maintenance',
    cleared: false,
    details: {
      orphanId: orphan.orphanId,
      noteId: orphan.noteId,
      denomination: orphan.denomination,
      reason: orphan.reason,
      paymentId: orphan.paymentId,
    },
  };
}
