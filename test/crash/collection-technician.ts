import { setTimeout as sleep } from 'node:timers/promises';
import type { Prng } from '../../simulators/harness/prng.js';
import type { CollectionRecord } from '../../src/journal/collection-types.js';
import type { AcceptorSimProcess } from './acceptor-sim-process.js';
import type { Count } from './collection-check.js';
import type { KioskApiClient } from './kiosk-api-client.js';
import { Killed } from './top-up-driver.js';

/** The crash lane's technician (its config lists them; the password is digits, as service passwords are). */
export const CRASH_TECHNICIAN = { id: 't-crash', password: '20261205' } as const;

/** Share of collections whose count the technician gets wrong on purpose (a discrepancy). */
const MISCOUNT_SHARE = 0.25;
/**
 * Share of collections whose slip is printed: the simulated printer takes about 2 s for one,
 * four times a whole collection's other steps, and a slip changes no money.
 */
const SLIP_SHARE = 0.25;
const ACTIVE_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 10_000;

/** The steps a kill is aimed at: the lane times a SIGKILL from the moment the request goes out. */
export type CollectionStep = 'count' | 'end';

/**
 * What the technician did with their hands and knows without asking the kiosk: which
 * collection, whether the box is out, whether it went back in empty, what they counted. A kill
 * of the daemon does not wipe it, so after the restart they carry on from where the journal is.
 */
interface Notebook {
  collectionId: string | undefined;
  boxOut: boolean;
  boxEmptied: boolean;
  /** The denominations the collection lists (a miscount picks one of them). */
  takes: number[];
  counts: Count[] | undefined;
}

interface ServiceAnswer<T> {
  result: T;
}

class ServiceError extends Error {}

/**
 * A field technician doing cash collections through the service API, as on the service page:
 * login, collection-start, the simulated cashbox out and counted (the simulator's real count, or
 * on some seeded collections a deliberately wrong one), collection-count, collection-receipt (for a
 * seeded quarter: a slip takes the simulated printer ~2 s), a new empty box in, collection-end, logout.
 *
 * After a SIGKILL mid-collection, `boxBackIn()` (before the restart settles) and then
 * `finishInterrupted()` do what a technician at the kiosk would: the restarted daemon holds the open collection (and the kiosk out of service); they log
 * in, look at `collection`, and go on from the step the journal is at, with the count they had
 * already made. A collection whose start never committed is simply not there: nothing was
 * taken out (the box comes out only after the start is confirmed), so there is nothing to do.
 */
export class CollectionTechnician {
  /** What the technician entered, by collection id: the collection check compares the journal with it. */
  readonly counted = new Map<string, Count[]>();
  readonly #prng: Prng;
  #notebook: Notebook | undefined;
  #miscounted = 0;

  constructor(prng: Prng) {
    this.#prng = prng;
  }

  /** Between the start of a collection (login included) and its end: a kill now interrupts it. */
  get midCollection(): boolean {
    return this.#notebook !== undefined;
  }

  /** Collections the technician counted wrong on purpose. */
  get miscounted(): number {
    return this.#miscounted;
  }

  /** A whole collection; `onStep` fires just before the count and the end go out. */
  async collect(
    api: KioskApiClient,
    sim: AcceptorSimProcess,
    signal: AbortSignal,
    onStep: (step: CollectionStep) => void,
  ): Promise<void> {
    this.#notebook = {
      collectionId: undefined,
      boxOut: false,
      boxEmptied: false,
      takes: [],
      counts: undefined,
    };
    const session = await this.#login(api, signal);
    const record = await this.#start(api, session, signal);
    this.#notebook.collectionId = record.collectionId;
    await this.#carryOn(api, sim, session, record, signal, onStep);
    await this.#logout(api, session);
  }

  /**
   * With the box still out after a kill the acceptor reports its stacker open and never gets
   * ready, so the daemon's start-up recovery cannot settle: the technician counts the box in
   * hand and puts the empty one in before anything else.
   */
  async boxBackIn(sim: AcceptorSimProcess): Promise<void> {
    const notebook = this.#notebook;
    if (notebook === undefined || !notebook.boxOut || notebook.boxEmptied) return;
    notebook.counts ??= this.#countBox(await this.#boxCounts(sim, notebook), notebook.takes);
    await sim.control({ action: 'cashbox.replace', emptied: true });
    notebook.boxEmptied = true;
  }

  /** After a restart: finishes the collection the kill interrupted, if the journal has it open. */
  async finishInterrupted(
    api: KioskApiClient,
    sim: AcceptorSimProcess,
    signal: AbortSignal,
    onStep: (step: CollectionStep) => void,
  ): Promise<void> {
    const notebook = this.#notebook;
    if (notebook === undefined) return;
    const session = await this.#login(api, signal);
    const { open } = await this.#command<{ open: CollectionRecord | null }>(api, session, 'collection');
    if (open === null) {
      // Ended before the kill (the box went in empty before the end), or never started.
      if (notebook.boxOut && !notebook.boxEmptied) {
        throw new Error('the cashbox is out but the kiosk has no open collection');
      }
      this.#notebook = undefined;
    } else {
      if (notebook.collectionId !== undefined && notebook.collectionId !== open.collectionId) {
        throw new Error(
          `the kiosk shows collection ${open.collectionId}, the technician started ${notebook.collectionId}`,
        );
      }
      notebook.collectionId = open.collectionId;
      await this.#carryOn(api, sim, session, open, signal, onStep);
    }
    await this.#logout(api, session);
  }

  async #carryOn(
    api: KioskApiClient,
    sim: AcceptorSimProcess,
    session: string,
    record: CollectionRecord,
    signal: AbortSignal,
    onStep: (step: CollectionStep) => void,
  ): Promise<void> {
    const notebook = this.#notebook as Notebook;
    const id = record.collectionId;
    notebook.takes = record.denominations.map((d) => d.denomination).filter((d) => d > 0);
    if (!notebook.boxOut) {
      await sim.control({ action: 'cashbox.remove' });
      notebook.boxOut = true;
    }
    if (record.state === 'started') {
      notebook.counts ??= this.#countBox(await this.#boxCounts(sim, notebook), notebook.takes);
      this.counted.set(id, notebook.counts);
      if (signal.aborted) throw new Killed('daemon killed');
      onStep('count');
      await this.#command(api, session, 'collection-count', [
        ...notebook.counts.map((c) => `${c.denomination}=${c.count}`),
        id,
      ]);
    }
    // The slip: printed or not (a kill mid-print), it changes no money; the answer says which.
    if (this.#prng.next() < SLIP_SHARE) {
      await this.#command(api, session, 'collection-receipt', [id]);
    }
    if (!notebook.boxEmptied) {
      await sim.control({ action: 'cashbox.replace', emptied: true });
      notebook.boxEmptied = true;
    }
    if (signal.aborted) throw new Killed('daemon killed');
    onStep('end');
    const ended = await this.#command<{ collection: CollectionRecord }>(api, session, 'collection-end', [id]);
    this.#notebook = undefined;
    if (ended.collection.collectionId !== id)
      throw new Error(`collection-end ended ${ended.collection.collectionId}, not ${id}`);
  }

  /** The box's notes: still in the removed box, or (emptied already) the simulator's record of it. */
  async #boxCounts(sim: AcceptorSimProcess, notebook: Notebook): Promise<Map<number, number>> {
    const cashbox = await sim.cashbox();
    const counts = notebook.boxEmptied ? cashbox.collections.at(-1)?.counts : cashbox.counts;
    return new Map(Object.entries(counts ?? {}).map(([d, n]) => [Number(d), n]));
  }

  /** The real count, or now and then one note too many or too few of one denomination. */
  #countBox(inBox: Map<number, number>, takes: readonly number[]): Count[] {
    const counts = new Map(inBox);
    if (this.#prng.next() < MISCOUNT_SHARE) {
      this.#miscounted++;
      const d = takes[this.#prng.below(takes.length)] as number;
      const n = counts.get(d) ?? 0;
      counts.set(d, n === 0 || this.#prng.next() < 0.5 ? n + 1 : n - 1);
    }
    const listed = [...counts]
      .filter(([, n]) => n > 0)
      .map(([denomination, count]) => ({ denomination, count }));
    // An empty box is counted as none of the first denomination: the command needs one pair.
    const first = takes[0] ?? 100;
    return listed.length > 0 ? listed : [{ denomination: first, count: 0 }];
  }

  async #login(api: KioskApiClient, signal: AbortSignal): Promise<string> {
    const login = await api.call<{ sessionToken?: string; error?: unknown }>('POST', '/service/session', {
      technician: CRASH_TECHNICIAN.id,
      password: CRASH_TECHNICIAN.password,
    });
    if (login.status !== 201 || login.body.sessionToken === undefined) {
      throw new Error(`technician login refused (${login.status}): ${JSON.stringify(login.body)}`);
    }
    const session = login.body.sessionToken;
    // Service mode is active once the kiosk is in maintenance (no customer was being served).
    const deadline = performance.now() + ACTIVE_TIMEOUT_MS;
    for (;;) {
      if (signal.aborted) throw new Killed('daemon killed');
      const status = await api.call<{ serviceMode: string }>('GET', '/service/session');
      if (status.body.serviceMode === 'active') return session;
      if (performance.now() > deadline) throw new Error(`service mode stayed ${status.body.serviceMode}`);
      await sleep(10);
    }
  }

  /** collection-start, again while the kiosk still settles the last customer (its slot, its receipt). */
  async #start(api: KioskApiClient, session: string, signal: AbortSignal): Promise<CollectionRecord> {
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        return await this.#command<CollectionRecord>(api, session, 'collection-start');
      } catch (error) {
        if (!(error instanceof ServiceError) || performance.now() > deadline) throw error;
      }
      if (signal.aborted) throw new Killed('daemon killed');
      await sleep(20);
    }
  }

  async #logout(api: KioskApiClient, session: string): Promise<void> {
    const answer = await api.call('DELETE', '/service/session', {}, { 'x-service-session': session });
    if (answer.status !== 200) throw new Error(`technician logout refused (${answer.status})`);
  }

  async #command<T>(api: KioskApiClient, session: string, cmd: string, args: string[] = []): Promise<T> {
    const answer = await api.call<ServiceAnswer<T>>(
      'POST',
      '/service/commands',
      { cmd, args },
      { 'x-service-session': session },
    );
    if (answer.status !== 200) {
      throw new ServiceError(
        `${cmd} ${args.join(' ')} refused (${answer.status}): ${JSON.stringify(answer.body)}`,
      );
    }
    return answer.body.result;
  }
}
