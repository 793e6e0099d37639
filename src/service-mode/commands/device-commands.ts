import { DEVICE_NAMES, type DeviceName, isDeviceName } from '../../../devices/device-names.js';
import type { PrinterDocument } from '../../../devices/printer/printer-document.js';
import { argumentError, type ServiceCommand, type ServiceContext } from '../service-command.js';
import { errorText, failingAs, ServiceError } from '../service-error.js';

/** How long a device test waits for the technician at most, and by default. */
const MAX_TEST_SECONDS = 120;
const DEFAULT_TEST_SECONDS = 30;

function secondsArgument(command: ServiceCommand, raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TEST_SECONDS;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 5 || seconds > MAX_TEST_SECONDS) {
    throw argumentError(
      command,
      `seconds must be an integer from 5 to ${MAX_TEST_SECONDS}, got "${raw.slice(0, 20)}"`,
    );
  }
  return seconds;
}

function deviceArgument(command: ServiceCommand, raw: string | undefined): DeviceName {
  if (!isDeviceName(raw)) {
    throw argumentError(
      command,
      `unknown device "${String(raw).slice(0, 40)}", expected one of ${DEVICE_NAMES.join(', ')}`,
    );
  }
  return raw;
}

function requireDevice<N extends DeviceName>(context: ServiceContext, name: N) {
  const device = context.devices.get(name);
  if (device === undefined) throw new ServiceError('noDevice', `${name} is not enabled on this kiosk`);
  return device;
}

/** A device fault recorded as it happened, for `devices` ("last faults"). */
export interface DeviceFault {
  at: string;
  state: string;
  reason?: string;
  action?: string;
}

const devicesCommand = (faults: () => Readonly<Record<string, readonly DeviceFault[]>>): ServiceCommand => ({
  name: 'devices',
  usage: '',
  summary: "each device's status, identity, firmware, line, counters and last faults",
  needsActive: false,
  maxArgs: 0,
  async run(context) {
    const recent = faults();
    const list = [];
    for (const name of context.devices.names()) {
      let diagnostics: Record<string, unknown>;
      try {
        diagnostics = await context.devices.diagnostics(name);
      } catch (error) {
        diagnostics = {
          device: name,
          status: context.devices.statuses()[name],
          diagnosticsError: errorText(error),
        };
      }
      list.push({ ...diagnostics, lastFaults: recent[name] ?? [] });
    }
    return { devices: list };
  },
});

/**
 * The acceptor takes one note and hands it back. The note is never stacked: no top-up is running
 * (service mode is active only once the customer in progress is done, and the kiosk takes no new
 * one), so the cash-in hooks' policy refuses every escrow and the driver returns the note. A unit
 * that stacks it anyway goes through the ordinary credit path, which records an orphan credit:
 * the money invariant holds, and this test reports the failure.
 */
const acceptorTest: ServiceCommand = {
  name: 'test-acceptor',
  usage: '[seconds]',
  summary: 'accept one test note and return it (never stacked or credited)',
  needsActive: true,
  maxArgs: 1,
  async run(context, args) {
    const seconds = secondsArgument(acceptorTest, args[0]);
    const acceptor = requireDevice(context, 'cashAcceptor');
    if (acceptor.status.state !== 'online') {
      throw new ServiceError('deviceNotReady', `cashAcceptor is ${acceptor.status.state}, not online`);
    }
    const seen: { denomination?: number; currency?: string } = {};
    type Ending = 'returned' | 'rejected' | 'stacked' | 'noNote';
    let finish: (ending: { outcome: Ending; reason?: string }) => void = () => {};
    const ended = new Promise<{ outcome: Ending; reason?: string }>((resolve) => {
      finish = resolve;
    });
    const onEscrow = (note: { denomination: number; currency?: string }) => {
      seen.denomination = note.denomination;
      if (note.currency !== undefined) seen.currency = note.currency;
    };
    const onReturned = () => finish({ outcome: 'returned' });
    const onRejected = (event: { reason: string }) => finish({ outcome: 'rejected', reason: event.reason });
    const onCredited = () => finish({ outcome: 'stacked' });
    acceptor.on('escrow', onEscrow);
    acceptor.on('returned', onReturned);
    acceptor.on('rejected', onRejected);
    acceptor.on('credited', onCredited);
    const timer = setTimeout(() => finish({ outcome: 'noNote' }), seconds * 1000);
    try {
      await acceptor.enable(context.config.currency.denominations);
      const ending = await ended;
      if (ending.outcome === 'stacked') {
        throw new ServiceError(
          'testNoteStacked',
          'the acceptor stacked the test note: it is recorded as an orphan credit and alerted; check the unit',
        );
      }
      return { ...ending, ...seen };
    } finally {
      clearTimeout(timer);
      acceptor.off('escrow', onEscrow);
      acceptor.off('returned', onReturned);
      acceptor.off('rejected', onRejected);
      acceptor.off('credited', onCredited);
      await acceptor.disable().catch((error: unknown) => {
        context.logger.warn({ err: error }, 'acceptor disable after the test note failed');
      });
    }
  },
};

function testPage(context: ServiceContext): PrinterDocument {
  const now = new Date().toISOString();
  return {
    blocks: [
      { kind: 'text', text: 'PRINTER TEST PAGE', align: 'center', bold: true, size: 'double' },
      { kind: 'text', text: `kiosk ${context.config.kioskId}`, align: 'center' },
      { kind: 'text', text: `${now} technician ${context.technician}`, align: 'center' },
      { kind: 'rule' },
      { kind: 'text', text: '0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz' },
      { kind: 'text', text: 'bold line', bold: true },
      { kind: 'text', text: 'right aligned', align: 'right' },
      { kind: 'rule' },
      {
        kind: 'qr',
        payload: `kioskd-test-page:${context.config.kioskId}:${now}`,
        moduleSize: 4,
        errorLevel: 'M',
        align: 'center',
      },
      { kind: 'feed', lines: 2 },
      { kind: 'cut' },
    ],
  };
}

const printerTest: ServiceCommand = {
  name: 'test-printer',
  usage: '',
  summary: 'print a test page (text, rules, a QR code, cut)',
  needsActive: true,
  maxArgs: 0,
  async run(context) {
    const printer = requireDevice(context, 'printer');
    return failingAs('printFailed', 'test page', () => printer.print(testPage(context)));
  },
};

/**
 * The PIN pad's keys in clear data-entry mode: the digits come back so the technician sees each
 * key works. Never PIN mode: nothing typed here is a secret, and PIN entry never yields digits.
 */
const pinPadTest: ServiceCommand = {
  name: 'test-pinpad',
  usage: '[seconds]',
  summary: 'key test in clear data-entry mode: press digits then Enter on the pad',
  needsActive: true,
  maxArgs: 1,
  async run(context, args) {
    const seconds = secondsArgument(pinPadTest, args[0]);
    const pad = requireDevice(context, 'pinPad');
    const entry = await failingAs('deviceFailed', 'key test', () =>
      pad.dataEntry({ minLength: 1, maxLength: 16, timeoutMs: seconds * 1000, autoEnd: false }),
    );
    return { keys: entry.value, completion: entry.completion };
  },
};

const resetCommand: ServiceCommand = {
  name: 'reset',
  usage: '<device>',
  summary: 'reset a device and set it up again as after a power-up',
  needsActive: true,
  maxArgs: 1,
  async run(context, args) {
    const name = deviceArgument(resetCommand, args[0]);
    requireDevice(context, name);
    return failingAs('deviceFailed', `reset ${name}`, () => context.devices.reset(name));
  },
};

export function deviceCommands(
  faults: () => Readonly<Record<string, readonly DeviceFault[]>>,
): ServiceCommand[] {
  return [devicesCommand(faults), acceptorTest, printerTest, pinPadTest, resetCommand];
}
