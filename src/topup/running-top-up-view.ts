import type { DeviceStatus } from '../../devices/device-status.js';
import { remainingLimit, type TopUpSnapshot, topUpStateName } from '../../fsm/top-up/top-up-machine.js';
import type { RunningTopUp } from './running-top-up.js';
import { screenState, topUpMessage } from './top-up-messages.js';
import type { TopUpView } from './top-up-view.js';

/** What the customer may still insert: nothing once the note count is reached. */
export function remainingOf(context: TopUpSnapshot['context']): number {
  return context.notes.length >= context.limits.maxNotesPerTransaction ? 0 : remainingLimit(context);
}

/**
 * The running top-up as the screen sees it. `enabled` is what the acceptor confirmed it takes,
 * and `acceptorStatus` whether it can take anything at all.
 */
export function runningTopUpView(
  running: RunningTopUp,
  enabled: readonly number[],
  acceptorStatus: DeviceStatus,
): Omit<TopUpView, 'receiptAvailable'> {
  const snapshot = running.actor.getSnapshot();
  const name = topUpStateName(snapshot);
  const context = snapshot.context;
  return {
    txId: context.txId,
    state: screenState(name),
    account: context.account,
    notes: context.notes.map((n) => ({ noteId: n.noteId, denomination: n.denomination })),
    total: context.total,
    remaining: name === 'done' || name === 'cancelled' ? 0 : remainingOf(context),
    // Both told by the machine and confirmed by the device, and only while the unit is online
    // (not off, unplugged, jammed or full): a note outside these would not go in or come back.
    acceptedDenominations:
      name === 'insertingCash' && acceptorStatus.state === 'online'
        ? enabled.filter((d) => context.acceptedDenominations.includes(d))
        : [],
    noteInProgress: context.noteInProgress,
    paymentId: context.paymentId,
    kind: context.kind,
    receipt: context.receipt,
    message: topUpMessage(name, context, running.notice),
  };
}
