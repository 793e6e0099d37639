import type { MessageCode } from '../i18n/messages.js';

/**
 * What to tell the customer about a note the acceptor refused, from the reason its driver
 * reported. Drivers speak their protocol's words; these groups are what the customer can act on.
 */
const BY_REASON: Readonly<Record<string, MessageCode>> = {
  counterfeit: 'noteRejected.counterfeit',
  inhibited: 'noteRejected.notAccepted',
  insertion: 'noteRejected.insertion',
  conveying: 'noteRejected.insertion',
  length: 'noteRejected.insertion',
  remainedBillInHead: 'noteRejected.insertion',
  billInTransportAtWrongTime: 'noteRejected.insertion',
  operation: 'noteRejected.insertion',
};

export function rejectMessage(reason: string): MessageCode {
  return BY_REASON[reason] ?? 'noteRejected.unrecognised';
}

/** The note came back because the host refused it in escrow: say why when the customer can act on it. */
export function returnMessage(reason: string | undefined): MessageCode {
  switch (reason) {
    case 'overLimit':
      return 'overLimit';
    case 'tooManyNotes':
      return 'tooManyNotes';
    case 'notAccepted':
      return 'notAccepted';
    default:
      return 'noteReturned';
  }
}
