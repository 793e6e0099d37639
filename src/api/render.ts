import { isKioskError, type KioskError } from '../../core/errors.js';
import { isMessageCode, type Language, type MessageCode, message } from '../i18n/messages.js';
import { maskAccount } from '../log.js';
import type { KioskEvent, KioskStateView, TopUpView } from '../topup/top-up-view.js';

/**
 * What leaves the kiosk over the API: accounts masked (the screen shows the customer what they
 * typed while typing; afterwards nobody passing by needs the whole number), message codes
 * worded in the client's language.
 */

function worded(code: MessageCode | null, language: Language): { code: MessageCode; text: string } | null {
  return code === null ? null : { code, text: message(code, language) };
}

export function renderTopUp(view: TopUpView, language: Language) {
  return {
    ...view,
    account: view.account === null ? null : (maskAccount(view.account) as string),
    notes: view.notes.map((n) => ({ noteId: n.noteId, denomination: n.denomination })),
    acceptedDenominations: [...view.acceptedDenominations],
    message: worded(view.message, language),
  };
}

export function renderState(state: KioskStateView, language: Language) {
  return {
    kiosk: {
      kioskId: state.kiosk.kioskId,
      mode: state.kiosk.mode,
      devices: { cashAcceptor: { ...state.kiosk.devices.cashAcceptor } },
    },
    topUp: state.topUp === null ? null : renderTopUp(state.topUp, language),
  };
}

export function renderEvent(event: KioskEvent, language: Language): { type: string; data: unknown } {
  switch (event.type) {
    case 'topup.state':
      return { type: event.type, data: renderTopUp(event.data, language) };
    case 'topup.noteReturned':
    case 'topup.noteRejected':
      return { type: event.type, data: { ...event.data, message: worded(event.data.message, language) } };
    case 'topup.error':
      return {
        type: event.type,
        data: {
          code: event.data.code,
          message: message(event.data.code, language),
          reason: event.data.reason,
        },
      };
    default:
      return { type: event.type, data: event.data };
  }
}

/**
 * The contract's error body: the KioskError code, the developer's reason, the customer's words.
 * A service-mode refusal also carries its stable `serviceCode` (and a lock's end), so the service
 * page can word it for the technician in the page's language instead of parsing the reason.
 */
export function renderError(error: KioskError, fallback: MessageCode, language: Language) {
  const code = error.details?.['messageCode'];
  const customer = typeof code === 'string' && isMessageCode(code) ? code : fallback;
  const serviceCode = error.details?.['serviceCode'];
  const lockedUntil = error.details?.['lockedUntil'];
  return {
    error: {
      code: error.code,
      reason: error.message,
      message: message(customer, language),
      ...(typeof serviceCode === 'string' ? { serviceCode } : {}),
      ...(typeof lockedUntil === 'string' ? { lockedUntil } : {}),
    },
  };
}

export { isKioskError };
