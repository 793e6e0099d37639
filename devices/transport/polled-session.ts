import type { Clock, TimerHandle } from '../../core/clock.js';
import type { KioskError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** What every polled session's state carries; a driver extends it with its own. */
export interface SessionState {
  readonly id: number;
  /** False from the moment the line went away: whatever still runs for this session stops. */
  active: boolean;
}

/** What the session asks of the driver; ID-003's status request is one `poll`. */
export interface PollingDevice<A, S extends SessionState> {
  /** The line came online: the driver's fresh state for this connection. */
  begin(id: number): S;
  /** The session is over (line offline or reopened, driver stopped): fail whatever waits on it. */
  end(state: S, error: KioskError): void;
  /** One request for the device's state; rejects when it is not answered. */
  poll(): Promise<A>;
  /** Acts on an answer; must not throw (a failure is the driver's to log and retry). */
  handle(state: S, answer: A): Promise<void>;
  /** The first unanswered poll after answers: the device is offline until it answers again. */
  noAnswer(error: unknown): void;
  answersAgain(silentMs: number): void;
}

export interface PolledSessionOptions<A, S extends SessionState> {
  device: PollingDevice<A, S>;
  clock: Clock;
  pollIntervalMs: number;
  logger: Logger;
}

/**
 * One connection's worth of polling: a session begins when the line comes online and ends when
 * it goes offline, is reopened or the driver stops. While it lasts, it polls, hands each answer
 * to the driver, and sleeps pollIntervalMs (a sleep end() cuts short). A poll that goes
 * unanswered makes the device offline once, until it answers again.
 */
export class PolledSession<A, S extends SessionState> {
  readonly #device: PollingDevice<A, S>;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #log: Logger;
  #state: S | undefined;
  #count = 0;
  #sleep: { timer: TimerHandle; wake: () => void } | undefined;
  #noAnswerSince: number | undefined;

  constructor(options: PolledSessionOptions<A, S>) {
    this.#device = options.device;
    this.#clock = options.clock;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#log = options.logger;
  }

  /** The latest session's state, still there (inactive) after it ended. */
  get latest(): S | undefined {
    return this.#state;
  }

  /** Starts a session (ending one still running with `reopened`) and its poll loop. */
  begin(reopened: () => KioskError): S {
    if (this.#state?.active) this.end(reopened());
    const state = this.#device.begin(++this.#count);
    this.#state = state;
    this.#noAnswerSince = undefined;
    this.#run(state).catch((error: unknown) => {
      this.#log.error({ err: error, session: state.id }, 'poll loop failed');
    });
    return state;
  }

  end(error: KioskError): void {
    const state = this.#state;
    if (!state?.active) return;
    state.active = false;
    this.#wake();
    this.#device.end(state, error);
  }

  async #run(state: S): Promise<void> {
    while (state.active) {
      let answer: A;
      try {
        answer = await this.#device.poll();
      } catch (error) {
        if (!state.active) return;
        if (this.#noAnswerSince === undefined) {
          this.#noAnswerSince = this.#clock.now();
          this.#device.noAnswer(error);
        }
        await this.#sleepFor(state);
        continue;
      }
      if (this.#noAnswerSince !== undefined) {
        this.#device.answersAgain(this.#clock.now() - this.#noAnswerSince);
        this.#noAnswerSince = undefined;
      }
      await this.#device.handle(state, answer);
      await this.#sleepFor(state);
    }
  }

  #sleepFor(state: S): Promise<void> {
    if (!state.active) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#sleep = undefined;
        resolve();
      };
      this.#sleep = { timer: this.#clock.setTimer(wake, this.#pollIntervalMs), wake };
    });
  }

  #wake(): void {
    const sleep = this.#sleep;
    if (!sleep) return;
    sleep.timer.cancel();
    sleep.wake();
  }
}
