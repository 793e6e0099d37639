import { randomUUID } from 'node:crypto';
import { type Actor, createActor } from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { MaskedKey, PinPad } from '../../devices/pin-pad/pin-pad.js';
import {
  type BalanceQueryInput,
  type BalanceQueryMachine,
  type BalanceQueryOutput,
  type BalanceQuerySnapshot,
  type BalanceQueryStateName,
  balanceQueryStateName,
  createBalanceQueryMachine,
} from '../../fsm/balance-query/balance-query-machine.js';
import { isCnMobileNumber } from '../../fsm/top-up/account-number.js';
import type { KioskConfig } from '../config/index.js';
import { DEFAULT_LANGUAGE, type Language, type MessageCode } from '../i18n/messages.js';
import { type Logger, maskAccount } from '../log.js';
import type { CustomerSlot } from '../topup/customer-slot.js';
import type { KioskModeSource } from '../topup/service-ports.js';
import { type BalanceQueryClient, httpBalanceQueryClient } from './account-service-client.js';
import {
  type BalanceQueryStreamEvent,
  type BalanceQueryView,
  balanceQueryView,
} from './balance-query-view.js';
import { balanceQueryMachineServices } from './pad-steps.js';

export interface BalanceQueryServiceOptions {
  config: KioskConfig;
  /** The kiosk's PIN pad; undefined when none runs (the query then refuses to start). */
  pinPad: PinPad | undefined;
  /** Shared with the top-up service: one customer at a time. */
  customers: CustomerSlot;
  modes: Pick<KioskModeSource, 'mode' | 'transactionStarted' | 'transactionEnded'>;
  logger: Logger;
  /** The account service; from config when not given. */
  client?: BalanceQueryClient;
}

/** What the kiosk API needs of the balance query. */
export interface BalanceQueries {
  current(): BalanceQueryView | null;
  start(language?: Language): BalanceQueryView;
  enterAccount(account: string): BalanceQueryView;
  cancel(): BalanceQueryView;
  subscribe(listener: (event: BalanceQueryStreamEvent) => void): () => void;
}

function conflict(reason: string, messageCode: MessageCode): KioskError {
  return new KioskError(ErrorCode.ApiConflict, reason, { details: { messageCode } });
}

const KIOSK_REFUSALS: Partial<Record<KioskModeSource['mode'], MessageCode>> = {
  starting: 'kioskStarting',
  maintenance: 'kioskMaintenance',
  outOfService: 'kioskOutOfService',
};

interface RunningQuery {
  readonly queryId: string;
  readonly actor: Actor<BalanceQueryMachine>;
  readonly language: Language;
  readonly release: () => void;
  lastView: string | undefined;
}

/**
 * Runs customers' balance queries: the balance-query machine per query, its actors over the
 * PIN pad and the account service, and the views and events the kiosk API serves. One query at
 * a time, and never beside a top-up (the shared CustomerSlot). Nothing it logs, keeps or
 * announces holds a PIN block, a KSN or a digit of the PIN.
 */
export class BalanceQueryService implements BalanceQueries {
  readonly #pad: PinPad | undefined;
  readonly #customers: CustomerSlot;
  readonly #modes: BalanceQueryServiceOptions['modes'];
  readonly #log: Logger;
  readonly #input: BalanceQueryInput;
  readonly #enabled: boolean;
  readonly #machine: BalanceQueryMachine | undefined;
  readonly #listeners = new Set<(event: BalanceQueryStreamEvent) => void>();
  readonly #detach: Array<() => void> = [];
  #running: RunningQuery | undefined;
  #last: BalanceQueryView | null = null;
  #stopping = false;

  constructor(options: BalanceQueryServiceOptions) {
    const section = options.config.balanceQuery;
    this.#pad = options.pinPad;
    this.#customers = options.customers;
    this.#modes = options.modes;
    this.#log = options.logger.child({ component: 'balance-query' });
    this.#enabled = section.enabled;
    this.#input = {
      format: section.pinBlockFormat,
      pinEntry: { ...section.pinEntry },
      accountEntryTimeoutMs: options.config.transaction.accountEntryTimeoutMs,
      queryTimeoutMs: section.accountService.timeoutMs,
      showBalanceMs: section.showBalanceMs,
    };
    const pad = this.#pad;
    if (!this.#enabled || pad === undefined) return;
    const { url, token, timeoutMs } = section.accountService;
    const client =
      options.client ??
      // The schema requires both when enabled; the check is for a config built in code.
      (url !== undefined && token !== undefined
        ? httpBalanceQueryClient({ url, token, timeoutMs })
        : undefined);
    if (client === undefined) {
      throw new KioskError(
        ErrorCode.ConfigInvalid,
        'balanceQuery.accountService: url and token are required',
        {
          details: { field: 'balanceQuery.accountService' },
        },
      );
    }
    this.#machine = createBalanceQueryMachine(
      balanceQueryMachineServices({ pad, client, logger: this.#log }),
    );
    const onKey = (key: MaskedKey): void => {
      this.#running?.actor.send({ type: 'PIN_KEY', key });
    };
    const onDataKey = ({ key, digit }: { key: MaskedKey; digit?: string }): void => {
      this.#running?.actor.send({ type: 'ACCOUNT_KEY', key, ...(digit === undefined ? {} : { digit }) });
    };
    pad.on('pinKey', onKey);
    pad.on('dataKey', onDataKey);
    this.#detach.push(() => {
      pad.off('pinKey', onKey);
      pad.off('dataKey', onDataKey);
    });
  }

  /** Whether a query can be asked for at all on this kiosk (config and a PIN pad). */
  get enabled(): boolean {
    return this.#machine !== undefined;
  }

  current(): BalanceQueryView | null {
    const running = this.#running;
    return running ? this.#view(running) : this.#last;
  }

  subscribe(listener: (event: BalanceQueryStreamEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(language: Language = DEFAULT_LANGUAGE): BalanceQueryView {
    const machine = this.#machine;
    if (machine === undefined) {
      throw new KioskError(
        ErrorCode.ApiNotFound,
        this.#enabled
          ? 'no PIN pad runs on this kiosk'
          : 'balance queries are not enabled (balanceQuery.enabled)',
        { details: { messageCode: 'balanceQueryUnavailable' } },
      );
    }
    if (this.#stopping)
      throw conflict('the kiosk is stopping; no balance query can start', 'kioskOutOfService');
    if (this.#running) throw conflict('a balance query is already active', 'balanceQueryActive');
    const release = this.#customers.claim('balanceQuery');
    try {
      const refusal = KIOSK_REFUSALS[this.#modes.mode];
      if (refusal !== undefined)
        throw conflict(`the kiosk is ${this.#modes.mode}; no balance query can start`, refusal);
      const padState = this.#pad?.status.state;
      if (padState !== 'online')
        throw conflict(
          `the PIN pad is ${padState ?? 'absent'}; no balance query can start`,
          'pinPadUnavailable',
        );
    } catch (error) {
      release();
      throw error;
    }
    const actor = createActor(machine, { input: this.#input });
    const running: RunningQuery = { queryId: randomUUID(), actor, language, release, lastView: undefined };
    this.#running = running;
    this.#last = null;
    actor.subscribe({
      next: (snapshot) => this.#onSnapshot(running, snapshot),
      error: (error) => this.#abandon(running, error),
    });
    this.#modes.transactionStarted();
    actor.start();
    actor.send({ type: 'START' });
    this.#log.info({ queryId: running.queryId }, 'balance query started');
    return this.#view(running);
  }

  enterAccount(account: string): BalanceQueryView {
    const running = this.#requireRunning();
    if (!isCnMobileNumber(account)) {
      throw new KioskError(
        ErrorCode.ApiBadRequest,
        `account: expected a CN mobile number (11 digits, 1 then 3-9, e.g. 13800138000), got ${JSON.stringify(maskAccount(account))}`,
        { details: { messageCode: 'invalidAccount', field: 'account' } },
      );
    }
    this.#requireState(running, ['enteringAccount'], 'the account can only be entered at the first step');
    running.actor.send({ type: 'ACCOUNT_ENTERED', account });
    return this.#view(running);
  }

  cancel(): BalanceQueryView {
    const running = this.#requireRunning();
    running.actor.send({ type: 'CANCEL' });
    return this.current() ?? this.#view(running);
  }

  /**
   * The kiosk is entering maintenance (a technician logged in): a query holds no cash, so it
   * ends now (its pad entry and request aborted) and the customer sees "under maintenance".
   */
  endForMaintenance(): 'ended' | 'none' {
    const running = this.#running;
    if (!running) return 'none';
    running.actor.send({ type: 'END_FOR_MAINTENANCE' });
    this.#log.info({ queryId: running.queryId }, 'balance query ended for maintenance');
    return 'ended';
  }

  /** Ends a query under way (its pad entry and request are aborted) and takes no more. */
  stop(): void {
    this.#stopping = true;
    const running = this.#running;
    if (running) {
      this.#log.info(
        { queryId: running.queryId, state: this.#stateOf(running) },
        'balance query interrupted by stop',
      );
      running.actor.stop();
      this.#end(running, null);
    }
    for (const detach of this.#detach.splice(0)) detach();
    this.#listeners.clear();
  }

  // ---------------------------------------------------------------- the machine's life

  #onSnapshot(running: RunningQuery, snapshot: BalanceQuerySnapshot): void {
    this.#publish(running);
    if (snapshot.status === 'done') this.#end(running, snapshot.output ?? null);
  }

  #end(running: RunningQuery, output: BalanceQueryOutput | null): void {
    if (this.#running !== running) return;
    this.#last = this.#view(running);
    this.#running = undefined;
    running.release();
    this.#modes.transactionEnded();
    const context = running.actor.getSnapshot().context;
    this.#log.info(
      {
        queryId: running.queryId,
        outcome: output?.outcome ?? 'stopped',
        ...(output?.triesLeft === undefined ? {} : { triesLeft: output.triesLeft }),
        ...(context.detail === null ? {} : { detail: context.detail }),
      },
      'balance query ended',
    );
  }

  /** The machine itself failed (a bug): the query ends, the slot is free for the next customer. */
  #abandon(running: RunningQuery, error: unknown): void {
    this.#log.error({ err: error, queryId: running.queryId }, 'balance query machine failed');
    if (this.#running !== running) return;
    this.#last = {
      ...this.#view(running),
      state: 'ended',
      balanceFen: null,
      message: 'internalError',
    };
    this.#running = undefined;
    running.release();
    this.#modes.transactionEnded();
    this.#emit({ type: 'balanceQuery.state', data: this.#last });
  }

  #view(running: RunningQuery): BalanceQueryView {
    const snapshot = running.actor.getSnapshot();
    return balanceQueryView(running.queryId, running.language, this.#stateOf(running), snapshot.context);
  }

  #stateOf(running: RunningQuery): BalanceQueryStateName {
    return balanceQueryStateName(running.actor.getSnapshot());
  }

  #publish(running: RunningQuery): void {
    const view = this.#view(running);
    const key = JSON.stringify(view);
    if (key === running.lastView) return;
    running.lastView = key;
    this.#emit({ type: 'balanceQuery.state', data: view });
  }

  #emit(event: BalanceQueryStreamEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.warn({ err: error, event: event.type }, 'event listener failed');
      }
    }
  }

  #requireRunning(): RunningQuery {
    const running = this.#running;
    if (!running) throw conflict('no balance query is active', 'noBalanceQuery');
    return running;
  }

  #requireState(running: RunningQuery, allowed: readonly BalanceQueryStateName[], reason: string): void {
    const name = this.#stateOf(running);
    if (!allowed.includes(name)) throw conflict(`${reason} (the query is ${name})`, 'wrongStep');
  }
}
