import type { Actor } from 'xstate';
import { type TopUpMachine, type TopUpStateName, topUpStateName } from '../../fsm/top-up/top-up-machine.js';
import { DEFAULT_LANGUAGE, type Language, type MessageCode } from '../i18n/messages.js';

/**
 * The one top-up in progress: its machine actor, what the service remembers beside the
 * machine's context, and the requests waiting for it to leave a step that does I/O.
 */
export class RunningTopUp {
  readonly actor: Actor<TopUpMachine>;
  /** Why the journal could not open this top-up's transaction, if it could not. */
  journalFault: unknown;
  /** The last note event's word for the customer, cleared by the next credit. */
  notice: MessageCode | null = null;
  /** Why the policy refused the note now in the acceptor's path, for the returned event. */
  refusal: string | undefined;
  persistedKey: string | undefined;
  lastView: string | undefined;
  readonly #settled: Array<() => void> = [];

  /** The customer's language: the receipt is printed in it. */
  readonly language: Language;

  constructor(actor: Actor<TopUpMachine>, language: Language = DEFAULT_LANGUAGE) {
    this.actor = actor;
    this.language = language;
  }

  /** Lets every waiting request look at the top-up again. */
  wake(): void {
    for (const resolve of this.#settled.splice(0)) resolve();
  }

  /**
   * Waits (at most `timeoutMs`) until the top-up is no longer in one of `states`, or is no
   * longer the service's current one. With `untilQuiet` it also waits for a note in the
   * acceptor's path to settle.
   */
  async settle(
    isCurrent: () => boolean,
    states: readonly TopUpStateName[],
    timeoutMs: number,
    untilQuiet = false,
  ): Promise<void> {
    const pending = (): boolean => {
      if (!isCurrent()) return false;
      const snapshot = this.actor.getSnapshot();
      return states.includes(topUpStateName(snapshot)) || (untilQuiet && snapshot.context.noteInProgress);
    };
    const deadline = Date.now() + timeoutMs;
    while (pending()) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#settled.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
