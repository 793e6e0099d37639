import { ErrorCode, KioskError } from '../../core/errors.js';
import { instantMs } from './local-time-text.js';
import type { ReceiptsConfig } from './receipt-config.js';

/**
 * Whether the customer may still reprint a payment's receipt from the screen: within
 * `reprintWindowSeconds` of the payment. A technician may reprint at any time and does not ask
 * this. `nowMs` is the caller's clock reading; a payment stamped after it (the clock was set
 * back) counts as recent within the same window, since such steps are seconds, not hours.
 */
export function customerMayReprint(
  createdAt: string,
  nowMs: number,
  config: Pick<ReceiptsConfig, 'reprintWindowSeconds'>,
): boolean {
  if (!Number.isFinite(nowMs)) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `receipt: now must be a finite time in ms, got ${nowMs}`,
      {
        details: { field: 'now' },
      },
    );
  }
  const elapsedMs = nowMs - instantMs(createdAt, 'payment.createdAt');
  return Math.abs(elapsedMs) <= config.reprintWindowSeconds * 1000;
}
