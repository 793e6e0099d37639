/**
 * One error class for the whole daemon, with stable numeric codes grouped by area
 * (the thousands digit). Callers branch on `code`, never on message text: messages are
 * for people and may be reworded at any time.
 */
export const ErrorArea = {
  config: 1000,
  transport: 2000,
  device: 3000,
  journal: 4000,
  fleet: 5000,
  api: 6000,
  cli: 7000,
  simulator: 8000,
} as const;
export type ErrorArea = keyof typeof ErrorArea;

export const ErrorCode = {
  // config: 1xxx
  ConfigNotFound: 1001,
  ConfigParse: 1002,
  ConfigInvalid: 1003,
  ConfigUnreadable: 1004,
  /** A port the config names could not be listened on (in use, not an address here, not permitted). */
  ConfigListenFailed: 1005,

  // transport: 2xxx
  TransportNotOpen: 2001,
  TransportOpenFailed: 2002,
  TransportDisconnected: 2003,
  TransportWriteFailed: 2004,
  TransportSilence: 2005,
  TransportStopped: 2006,

  // device: 3xxx
  DeviceTimeout: 3001,
  DeviceProtocol: 3002,
  DeviceRejectedCommand: 3003,
  DeviceOffline: 3004,
  DeviceBusy: 3005,
  DeviceBadState: 3006,
  /** A caller handed a device codec a value its protocol cannot express. */
  DeviceBadArgument: 3007,
  /** The PIN pad's DUKPT counter is exhausted: it makes no more PIN blocks until a new key is loaded. */
  DeviceDukptOverflow: 3008,
  /** A PIN block was asked for with no finished PIN entry held in the pad. */
  DeviceNoPin: 3009,
  /** The PIN pad's tamper response fired: its keys are erased. */
  DeviceTampered: 3010,
  /** The PIN pad has no key loaded (or none for the PIN block format asked for). */
  DeviceNoKey: 3011,

  // journal: 4xxx
  JournalCorrupt: 4001,
  JournalNewerVersion: 4002,
  JournalIo: 4003,
  JournalInvariant: 4004,
  /** A journal operation got an argument it cannot store (wrong type, non-integer amount, ...). */
  JournalBadInput: 4005,
  /** A journal operation named a transaction, note, orphan or payment the journal does not hold. */
  JournalNotFound: 4006,
  /** The named record exists but its state forbids the operation (e.g. crediting a returned note). */
  JournalConflict: 4007,
  /** A persisted machine snapshot written by a schema version this daemon does not know. */
  SnapshotUnknownVersion: 4008,
  /** A persisted machine snapshot that is not what its version says (missing field, unknown state...). */
  SnapshotInvalid: 4009,

  // fleet: 5xxx
  FleetBadPayload: 5001,
  FleetRejectedCommand: 5002,
  FleetConnect: 5003,
  /** The fleet link's own small state file (the connection epoch) could not be read or made durable. */
  FleetStateIo: 5004,
  /** The embedded demo broker could not start (port taken, address not local...). */
  FleetBrokerStart: 5005,
  /** The fleet ledger's database could not be opened, migrated or written. */
  FleetLedgerStore: 5006,
  /** A fleet command signing key file could not be written or read (exists already, unreadable, not Ed25519). */
  FleetKeyFile: 5007,

  // api: 6xxx
  ApiBadRequest: 6001,
  ApiConflict: 6002,
  ApiNotFound: 6003,
  /** The route exists but not for this HTTP method. */
  ApiMethodNotAllowed: 6004,
  /** A request body larger than the API reads. */
  ApiBodyTooLarge: 6005,
  /** The request was fine; the daemon failed to serve it (journal or device trouble). */
  ApiInternal: 6006,
  /** The request came through a Host or from an Origin other than the kiosk screen's own. */
  ApiForbidden: 6007,
  /** A state-changing request without the per-boot API token, or with a wrong one. */
  ApiUnauthorized: 6008,
  /** A state-changing request whose body is not declared application/json. */
  ApiUnsupportedMediaType: 6009,
  /** The per-boot API token could not be written to `<dataDir>/api-token` at start. */
  ApiTokenFile: 6010,

  // cli: 7xxx
  CliUsage: 7001,

  // simulator: 8xxx
  SimUnknownDevice: 8001,
  SimBadControl: 8002,
  SimToolMissing: 8003,
  SimUnplugged: 8004,
  /** A second open of a simulated port, like a tty opened with lock: true. */
  SimPortBusy: 8005,
  /** An operation on a simulated port that is closed (pending reads fail with canceled: true). */
  SimPortClosed: 8006,
  /** Open or update options a simulated port cannot take (path, baud rate, data bits...). */
  SimBadPortOptions: 8007,
  /** socat is there but the pty pair did not come up (exited early, links never appeared). */
  SimPtyFailed: 8008,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const areaByThousand = new Map<number, ErrorArea>(
  (Object.entries(ErrorArea) as [ErrorArea, number][]).map(([area, base]) => [base, area]),
);

export function areaOf(code: ErrorCode): ErrorArea {
  const area = areaByThousand.get(Math.floor(code / 1000) * 1000);
  if (!area) throw new Error(`error code ${code} belongs to no area`);
  return area;
}

export interface KioskErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and API replies (never secrets). */
  details?: Record<string, unknown>;
}

export class KioskError extends Error {
  override readonly name = 'KioskError';
  readonly code: ErrorCode;
  readonly area: ErrorArea;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: KioskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.area = areaOf(code);
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      area: this.area,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isKioskError(value: unknown, code?: ErrorCode): value is KioskError {
  return value instanceof KioskError && (code === undefined || value.code === code);
}
