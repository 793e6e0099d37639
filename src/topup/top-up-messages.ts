import type { TopUpContext } from '../../fsm/top-up/top-up-context.js';
import type { TopUpStateName } from '../../fsm/top-up/top-up-machine.js';
import type { MessageCode } from '../i18n/messages.js';
import type { TopUpState } from './top-up-view.js';

/**
 * The machine's states as the screen's contract names them. The machine has a few more
 * (opening the journal transaction, a commit being retried, recovery); the screen shows the
 * step the customer is at.
 */
export function screenState(name: TopUpStateName): TopUpState {
  switch (name) {
    case 'idle':
    case 'enteringAccount':
      return 'enteringAccount';
    case 'checkingAccount':
    case 'openingTransaction':
      return 'checkingAccount';
    case 'insertingCash':
      return 'insertingCash';
    case 'committing':
    case 'commitFailed':
    case 'recovering':
      return 'committing';
    case 'printing':
      return 'printing';
    case 'done':
      return 'done';
    case 'cancelled':
      return 'cancelled';
  }
}

/** What the screen should say for where the transaction is; `notice` is the last note event's word. */
export function topUpMessage(
  name: TopUpStateName,
  context: TopUpContext,
  notice: MessageCode | null,
): MessageCode | null {
  switch (name) {
    case 'done':
      return context.receipt === true
        ? context.kind === 'partial'
          ? 'topUpPartial'
          : 'topUpDone'
        : 'receiptUnavailable';
    case 'cancelled':
      switch (context.cancelReason) {
        case 'accountEntryTimeout':
        case 'noCashTimeout':
          return 'accountEntryTimeout';
        case 'accountCheckUnavailable':
          return 'accountCheckUnavailable';
        case 'journalUnavailable':
          return 'internalError';
        case 'maintenance':
          return 'kioskMaintenance';
        default:
          return 'topUpCancelled';
      }
    case 'commitFailed':
      return 'commitDelayed';
    case 'enteringAccount':
      if (context.error?.code === 'accountUnknown') return 'accountRefused';
      if (context.error?.code === 'invalidAccount') return 'invalidAccount';
      return null;
    case 'insertingCash':
      if (notice !== null) return notice;
      if (context.notes.length >= context.limits.maxNotesPerTransaction) return 'tooManyNotes';
      if (context.acceptedDenominations.length === 0)
        return context.notes.length > 0 ? 'limitReached' : 'dailyLimitReached';
      return null;
    default:
      return null;
  }
}
