import { EventEmitter } from 'node:events';
import type { KioskConfig } from '../config/index.js';
import type { OperatorMode } from '../daemon/kiosk-mode-store.js';
import type { DeviceMap } from '../devices/device-map.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { ReceiptPrinting } from '../receipts/receipt-printing.js';
import type { KioskMode } from '../topup/top-up-view.js';
import type { DeviceFault } from './commands/device-commands.js';
import type { ServiceCommand, ServiceContext } from './service-command.js';
import { serviceCommands } from './service-commands.js';
import { errorText, ServiceError } from './service-error.js';
import type { LoginOutcome, TechnicianAuth } from './technician-auth.js';

/**
 * What became of the customer at the kiosk when a technician asked for maintenance: none was
 * there, theirs had no cash in and ended, or theirs has cash in and finishes first.
 */
export type CustomerHandover = 'none' | 'ended' | 'waiting';

/** The kiosk's modes as service mode drives them (startKioskModes and the operator's store). */
export interface ServiceModePorts {
  readonly mode: KioskMode;
  onModeChange(listener: (mode: KioskMode) => void): () => void;
  enterMaintenance(by: string): void;
  /** Asks the customer's transaction to end if it has no cash in (top-up, balance query). */
  endCustomerWithoutCash(): CustomerHandover;
  leaveMaintenance(by: string): void;
  requestOperatorMode(mode: OperatorMode, by: string): Promise<KioskMode>;
}

/** One technician's service mode: who, since when, and their last action (for idle expiry). */
export interface ServiceSession {
  readonly technician: string;
  readonly owner: symbol;
  readonly startedAt: string;
  lastActivity: number;
  /** Whether the console has been told the kiosk reached maintenance (told once per session). */
  announced: boolean;
}

/** What every service action publishes (audit and fleet): who did what and how it ended. */
export interface ServiceActionEvent {
  technician: string;
  action: string;
  args: readonly string[];
  outcome: 'ok' | 'refused' | 'failed';
  error?: string;
  ts: string;
}

export type ServiceState = 'entering' | 'active';
const MAX_FAULTS_PER_DEVICE = 10;

/**
 * Service mode after XFS4IoT VendorMode. A login asks the kiosk to enter maintenance and the
 * running transaction to end: one with no cash in ends at once, one with cash in finishes (a
 * customer with cash in is never cut off), and new customers see "under maintenance"; once
 * the kiosk is in maintenance the session is active and device tests may run. Exit, or 10 minutes without an action, leaves maintenance, which restores the
 * mode before (or the one the technician chose with `mode`). One technician session at a time:
 * two people testing the same acceptor at once would step on each other's tests.
 */
export class ServiceMode extends EventEmitter<{
  action: [ServiceActionEvent];
  /** The kiosk reached maintenance for this session: device tests may run. */
  active: [{ technician: string; owner: symbol }];
  sessionEnded: [
    { technician: string; owner: symbol; reason: 'exit' | 'idle' | 'disconnected' | 'stopping' },
  ];
}> {
  readonly #ports: ServiceModePorts;
  readonly #auth: TechnicianAuth;
  readonly #journal: Journal;
  readonly #config: KioskConfig;
  readonly #devices: DeviceMap;
  readonly #receipts: ReceiptPrinting | undefined;
  readonly #log: Logger;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #commands: ReadonlyMap<string, ServiceCommand>;
  readonly #faults = new Map<string, DeviceFault[]>();
  readonly #detachFaults: () => void;
  readonly #detachMode: () => void;
  #session: ServiceSession | undefined;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: {
    ports: ServiceModePorts;
    auth: TechnicianAuth;
    journal: Journal;
    config: KioskConfig;
    devices: DeviceMap;
    receipts?: ReceiptPrinting;
    logger: Logger;
    idleMs: number;
    now?: () => number;
    /** Extra command groups (e.g. cash collection), each its own file. */
    extraCommands?: readonly ServiceCommand[];
  }) {
    super();
    this.#ports = options.ports;
    this.#auth = options.auth;
    this.#journal = options.journal;
    this.#config = options.config;
    this.#devices = options.devices;
    this.#receipts = options.receipts;
    this.#log = options.logger.child({ component: 'service-mode' });
    this.#idleMs = options.idleMs;
    this.#now = options.now ?? Date.now;
    const commands = [
      ...serviceCommands(() => Object.fromEntries(this.#faults)),
      ...(options.extraCommands ?? []),
    ];
    this.#commands = new Map(commands.map((command) => [command.name, command]));
    this.#detachFaults = options.devices.onStatus((name, status) => {
      if (status.state === 'online' || status.state === 'starting' || status.state === 'deviceBusy') return;
      const list = this.#faults.get(name) ?? [];
      list.unshift({
        at: new Date(this.#now()).toISOString(),
        state: status.state,
        ...(status.reason === undefined ? {} : { reason: status.reason }),
        ...(status.action === undefined ? {} : { action: status.action }),
      });
      this.#faults.set(name, list.slice(0, MAX_FAULTS_PER_DEVICE));
    });
    this.#detachMode = options.ports.onModeChange((mode) => this.#onMode(mode));
  }

  #onMode(mode: KioskMode): void {
    const session = this.#session;
    if (session === undefined) return;
    if (mode !== 'maintenance' && session.announced) {
      // Someone else (the fleet's setMode) chose a mode while the technician works: it becomes
      // the mode service mode returns to, and the kiosk stays in maintenance, so no customer
      // starts while a test note may be in the acceptor.
      const actor = `technician:${session.technician}`;
      this.#log.warn(
        { technician: session.technician, mode },
        'mode changed during service mode: kept in maintenance until exit',
      );
      this.#journal.audit.append(actor, 'service.modeHeld', { requested: mode });
      this.#ports.enterMaintenance(actor);
      return;
    }
    if (mode !== 'maintenance' || session.announced) return;
    session.announced = true;
    this.#log.info({ technician: session.technician }, 'service mode active');
    this.emit('active', { technician: session.technician, owner: session.owner });
  }

  get session(): Readonly<ServiceSession> | undefined {
    return this.#session;
  }

  get state(): ServiceState | undefined {
    if (this.#session === undefined) return undefined;
    return this.#ports.mode === 'maintenance' ? 'active' : 'entering';
  }

  commands(): Array<{ name: string; usage: string; summary: string }> {
    return [...this.#commands.values()].map(({ name, usage, summary }) => ({ name, usage, summary }));
  }

  status(): Record<string, unknown> {
    const session = this.#session;
    return {
      kioskMode: this.#ports.mode,
      serviceMode: this.state ?? 'off',
      ...(session === undefined
        ? {}
        : {
            technician: session.technician,
            since: session.startedAt,
            idleExpiresAt: new Date(session.lastActivity + this.#idleMs).toISOString(),
          }),
    };
  }

  /** Checks the credentials and, when they are right and nobody else is in service mode, enters it. */
  async login(
    technician: string,
    password: Buffer,
    owner: symbol,
    via: string,
  ): Promise<LoginOutcome | { ok: false; reason: 'busy'; message: string }> {
    const current = this.#session;
    if (current !== undefined) {
      password.fill(0);
      const message =
        current.owner === owner
          ? `already logged in as ${current.technician}; exit first`
          : `technician ${current.technician} is in service mode since ${current.startedAt} (one session at a time)`;
      return { ok: false, reason: 'busy', message };
    }
    const outcome = await this.#auth.login(technician, password, via);
    if (!outcome.ok) return outcome;
    if (this.#session !== undefined) {
      // Someone else logged in while this password was being checked.
      return { ok: false, reason: 'busy', message: `technician ${this.#session.technician} logged in first` };
    }
    this.#session = {
      technician,
      owner,
      startedAt: new Date(this.#now()).toISOString(),
      lastActivity: this.#now(),
      announced: false,
    };
    this.#armIdleTimer();
    const kioskMode = this.#ports.mode;
    // Maintenance first, so the kiosk holds it as pending while a customer finishes; then the
    // customer with no cash in is asked to end, and the kiosk enters maintenance as it ends.
    this.#ports.enterMaintenance(`technician:${technician}`);
    let customer: CustomerHandover;
    try {
      customer = this.#ports.endCustomerWithoutCash();
    } catch (error) {
      // The kiosk still enters maintenance once the customer's transaction ends by itself.
      this.#log.error({ err: error }, 'the running transaction could not be asked to end');
      customer = 'waiting';
    }
    this.#journal.audit.append(`technician:${technician}`, 'service.enter', { via, kioskMode, customer });
    this.#publish(technician, 'service.enter', [], 'ok');
    this.#log.info({ technician, via }, 'service mode requested');
    return outcome;
  }

  /** Ends the owner's session; the kiosk leaves maintenance for the mode before. */
  end(owner: symbol, reason: 'exit' | 'idle' | 'disconnected' | 'stopping'): boolean {
    const session = this.#session;
    if (session === undefined || session.owner !== owner) return false;
    this.#session = undefined;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const actor = `technician:${session.technician}`;
    this.#ports.leaveMaintenance(actor);
    try {
      this.#journal.audit.append(actor, 'service.exit', { reason, kioskMode: this.#ports.mode });
    } catch (error) {
      this.#log.error({ err: error }, 'service exit not audited');
    }
    this.#publish(session.technician, 'service.exit', [reason], 'ok');
    this.#log.info({ technician: session.technician, reason, mode: this.#ports.mode }, 'service mode ended');
    this.emit('sessionEnded', { technician: session.technician, owner, reason });
    return true;
  }

  /** Runs a command for the owner's session: refused (and audited) when it may not run now. */
  async run(owner: symbol, name: string, args: readonly string[]): Promise<unknown> {
    const session = this.#session;
    if (session === undefined || session.owner !== owner) {
      throw new ServiceError('noSession', 'log in first (login <technician id>)');
    }
    session.lastActivity = this.#now();
    this.#armIdleTimer();
    const actor = `technician:${session.technician}`;
    const command = this.#commands.get(name);
    if (command === undefined) {
      const error = new ServiceError(
        'unknownCommand',
        `unknown command "${name.slice(0, 40)}"; "help" lists them`,
      );
      this.#journal.audit.append(actor, 'service.unknown-command', {
        args: [name.slice(0, 32)],
        outcome: 'refused',
      });
      this.#publish(session.technician, 'unknown-command', [name.slice(0, 32)], 'refused', error.message);
      throw error;
    }
    const refuse = (error: ServiceError): never => {
      this.#journal.audit.append(actor, `service.${command.name}`, {
        args: [...args],
        outcome: 'refused',
        error: error.message,
      });
      this.#publish(session.technician, command.name, args, 'refused', error.message);
      throw error;
    };
    if (args.length > command.maxArgs) {
      refuse(
        new ServiceError(
          'badArgs',
          `${command.name} takes at most ${command.maxArgs} argument(s) (usage: ${command.name} ${command.usage})`,
        ),
      );
    }
    if (command.needsActive && this.#ports.mode !== 'maintenance') {
      refuse(
        new ServiceError(
          'notActive',
          `service mode is not active yet (kiosk is ${this.#ports.mode}): waiting for the customer in progress to finish`,
        ),
      );
    }
    const context: ServiceContext = {
      technician: session.technician,
      config: this.#config,
      journal: this.#journal,
      devices: this.#devices,
      receipts: this.#receipts,
      logger: this.#log,
      kioskMode: () => this.#ports.mode,
      setReturnMode: async (mode) => {
        await this.#ports.requestOperatorMode(mode, actor);
        // The operator's mode takes the kiosk out of maintenance; the technician is still at work.
        if (this.#session === session) this.#ports.enterMaintenance(actor);
        return mode;
      },
    };
    try {
      const result = await command.run(context, args);
      this.#journal.audit.append(actor, `service.${command.name}`, { args: [...args], outcome: 'ok' });
      this.#publish(session.technician, command.name, args, 'ok');
      return result;
    } catch (error) {
      const message = errorText(error);
      const refused = error instanceof ServiceError && error.code === 'badArgs';
      this.#journal.audit.append(actor, `service.${command.name}`, {
        args: [...args],
        outcome: refused ? 'refused' : 'failed',
        error: message,
      });
      this.#publish(session.technician, command.name, args, refused ? 'refused' : 'failed', message);
      throw error instanceof ServiceError ? error : new ServiceError('failed', message);
    } finally {
      if (this.#session === session) {
        session.lastActivity = this.#now();
        this.#armIdleTimer();
      }
    }
  }

  stop(): void {
    if (this.#session !== undefined) this.end(this.#session.owner, 'stopping');
    this.#detachFaults();
    this.#detachMode();
  }

  #armIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    const session = this.#session;
    if (session === undefined) return;
    const due = session.lastActivity + this.#idleMs - this.#now();
    this.#idleTimer = setTimeout(
      () => {
        if (this.#session !== session) return;
        if (this.#now() - session.lastActivity >= this.#idleMs) this.end(session.owner, 'idle');
        else this.#armIdleTimer();
      },
      Math.max(0, due),
    );
    this.#idleTimer.unref();
  }

  #publish(
    technician: string,
    action: string,
    args: readonly string[],
    outcome: ServiceActionEvent['outcome'],
    error?: string,
  ): void {
    this.emit('action', {
      technician,
      action,
      args: [...args],
      outcome,
      ...(error === undefined ? {} : { error }),
      ts: new Date(this.#now()).toISOString(),
    });
  }
}
