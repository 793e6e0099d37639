import type { EntryOptions, PinBlockFormat, PinPad } from '../../devices/pin-pad/pin-pad.js';
import {
  BalanceQueryFailure,
  type BalanceQueryServices,
} from '../../fsm/balance-query/balance-query-machine.js';
import type { Logger } from '../log.js';
import type { BalanceQueryClient } from './account-service-client.js';

/** The pad's part of a step failed: unplugged, a fault, a refused command. */
function padFault(what: string, error: unknown): BalanceQueryFailure {
  return new BalanceQueryFailure(
    'padFault',
    `${what} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}

/**
 * The pad's entries, one after the other. When the machine leaves a state (cancel from the
 * screen, a timeout, an account typed on the screen) the signal aborts and the pad's entry is
 * ended, so the pad is never left waiting for keys nobody will press; the next entry starts
 * only once the pad has finished the last one (a pad refuses a second entry while one runs).
 */
class PadEntries {
  #free: Promise<unknown> = Promise.resolve();

  constructor(
    readonly pad: PinPad,
    readonly log: Logger,
  ) {}

  async run<T>(what: string, start: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const before = this.#free;
    let done = (): void => {};
    this.#free = new Promise<void>((resolve) => {
      done = resolve;
    });
    const end = (): void => {
      this.pad
        .cancelEntry()
        .catch((error: unknown) => this.log.warn({ err: error }, `ending the pad's ${what} failed`));
    };
    try {
      await before;
      if (signal.aborted) throw new BalanceQueryFailure('padFault', `${what} was not needed any more`);
      signal.addEventListener('abort', end, { once: true });
      return await start();
    } catch (error) {
      throw error instanceof BalanceQueryFailure ? error : padFault(what, error);
    } finally {
      signal.removeEventListener('abort', end);
      done();
    }
  }
}

/**
 * The balance-query machine's actors over a PIN pad and the account service. queryBalance is
 * where the PIN block lives, from the pad's answer to the account service's request, and
 * nowhere else: it is never returned, logged or kept.
 */
export function balanceQueryMachineServices(input: {
  pad: PinPad;
  client: BalanceQueryClient;
  logger: Logger;
}): BalanceQueryServices {
  const { pad, client, logger } = input;
  const entries = new PadEntries(pad, logger);
  return {
    accountOnPad: (options: EntryOptions, signal) =>
      entries.run('account entry', () => pad.dataEntry(options), signal),
    pinEntry: (options: EntryOptions, signal) =>
      entries.run('PIN entry', () => pad.pinEntry(options), signal),
    async queryBalance({ account, format }: { account: string; format: PinBlockFormat }, signal) {
      let block: Awaited<ReturnType<PinPad['getPinBlock']>>;
      try {
        block = await pad.getPinBlock({ format, account });
      } catch (error) {
        throw padFault('reading the PIN block', error);
      }
      if (signal.aborted) {
        block.pinBlock.fill(0);
        throw new BalanceQueryFailure(
          'serviceUnavailable',
          'the query ended before the account service was asked',
        );
      }
      return client({ account, block }, signal);
    },
  };
}
