import { ErrorCode, KioskError } from '../../core/errors.js';
import type { MessageCode } from '../i18n/messages.js';

/**
 * What a customer can be doing at the kiosk; one at a time. A technician's cash collection
 * holds the slot too, from start to end, so no customer starts (and no note goes in) meanwhile.
 */
export type CustomerActivity = 'topUp' | 'balanceQuery' | 'cashCollection';

const BUSY: Record<CustomerActivity, { reason: string; messageCode: MessageCode }> = {
  topUp: { reason: 'a top-up is already active', messageCode: 'topUpActive' },
  balanceQuery: { reason: 'a balance query is active', messageCode: 'balanceQueryActive' },
  cashCollection: { reason: 'a cash collection is in progress', messageCode: 'kioskMaintenance' },
};

/**
 * The kiosk serves one customer at a time: a top-up and a balance query never run at once
 * (one screen, and a PIN on the pad while notes go in would be two customers' business). Each
 * service claims the slot before it starts and releases it when its machine has ended.
 */
export class CustomerSlot {
  #holder: CustomerActivity | null = null;

  get holder(): CustomerActivity | null {
    return this.#holder;
  }

  /**
   * Takes the slot for `activity`, or throws ApiConflict naming what holds it. The release it
   * returns may be called any number of times; only the first counts.
   */
  claim(activity: CustomerActivity): () => void {
    const holder = this.#holder;
    if (holder !== null) {
      const busy = BUSY[holder];
      throw new KioskError(ErrorCode.ApiConflict, busy.reason, {
        details: { messageCode: busy.messageCode, activity: holder },
      });
    }
    this.#holder = activity;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holder = null;
    };
  }
}
