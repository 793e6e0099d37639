import { autoDetect } from '@serialport/bindings-cpp';
import { hangupAwareBinding } from '../../../core/hangup-aware-binding.js';
import { decodeCommand, Id003FrameParser } from '../../../devices/cash-acceptor/id003/codec/index.js';
import { createId003Acceptor } from '../../../devices/cash-acceptor/id003/create.js';
import type { BindingInterface, BindingPortInterface } from '../../../devices/transport/serial-binding.js';
import { openPtyPair, type PtyPair } from '../../../simulators/harness/pty-pair.js';
import { attachToSerialPath, type SerialEndpoint } from '../../../simulators/harness/serial-endpoint.js';
import { SimulatorBinding } from '../../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';
import type { LedgerEntry } from '../../../simulators/id003/cashbox-ledger.js';
import { id003SimulatorFactory } from '../../../simulators/id003/id003-factory.js';
import { silentLogger } from '../../../src/log.js';
import { requireTool } from '../../helpers/require-tool.js';
import {
  type ContractDriver,
  type ContractHost,
  type ContractPace,
  type ContractSimulator,
  describeCashAcceptorContract,
  type WireWrite,
  waitUntil,
} from '../cash-acceptor.contract.js';

type Variant = 'inProcess' | 'pty';

/** CNY notes in fen, as the simulator's default currency table has them. */
const CNY_NOTES = [100, 500, 1000, 2000, 5000, 10_000] as const;
const logger = silentLogger();
const WAIT_MS = 10_000;

/** Short mechanics for the many-note run, as in driver-line.test.ts. */
const BURST_TIMING = {
  answerDelayMs: 0,
  acceptingMs: 2,
  stackingMs: 4,
  stackedMs: 1,
  rejectingMs: 2,
  returningMs: 2,
};

interface Id003ContractSimulator extends ContractSimulator {
  readonly host: SimulatorHost;
  /** Where the driver plugs in: the port path and the binding that opens it. */
  readonly port: { path: string; binding: BindingInterface };
}

interface ModelView {
  phase: string;
  status: string | null;
  note: unknown;
}

async function id003Simulator(variant: Variant, pace: ContractPace): Promise<Id003ContractSimulator> {
  const host = new SimulatorHost(
    id003SimulatorFactory.create({
      timingPreset: 'fast',
      ...(pace === 'burst' ? { capacity: 100_000, timing: BURST_TIMING } : {}),
    }),
    { name: 'id003', wireTime: variant === 'pty', seed: 20_240_601, logger },
  );
  const model = () => host.snapshot().model as ModelView;
  // VEND VALID is the answer to a status request while the note is in that phase: count them
  // where the unit receives them, after any line fault, with the phase the unit was in.
  let creditReports = 0;
  let escrowReports = 0;
  const parser = new Id003FrameParser();
  const fromHost = host.fromHost.bind(host);
  host.fromHost = (bytes: Uint8Array): void => {
    if (host.cable === 'plugged') {
      const phase = model().phase;
      for (const frame of parser.push(bytes)) {
        if (decodeCommand(frame).kind !== 'statusRequest') continue;
        if (phase === 'vendValid') creditReports++;
        if (phase === 'escrow') escrowReports++;
      }
    }
    fromHost(bytes);
  };

  let pty: PtyPair | undefined;
  let endpoint: SerialEndpoint | undefined;
  let port: Id003ContractSimulator['port'];
  if (variant === 'pty') {
    requireTool('socat');
    pty = await openPtyPair();
    endpoint = await attachToSerialPath(host, pty.devicePath, logger);
    port = { path: pty.hostPath, binding: hangupAwareBinding(autoDetect()) as unknown as BindingInterface };
  } else {
    const registry = new SimulatorRegistry();
    registry.register('id003', host);
    port = { path: 'sim:id003', binding: new SimulatorBinding(registry) as unknown as BindingInterface };
  }

  return {
    host,
    port,
    insertNote: (denomination) => void host.control({ action: 'note.insert', denomination }),
    async cutPowerWithNoteIn(where, denomination) {
      if (where === 'stacker') {
        // With STACK-2 the unit is `stacking` from the STACK until the note is in the box.
        host.control({ action: 'power.cutAt', phase: 'stacking' });
        host.control({ action: 'note.insert', denomination });
      } else {
        // Two status requests in escrow: the answer to the first has reached the host.
        host.control({ action: 'note.insert', denomination });
        const asked = escrowReports;
        await waitUntil(
          'the unit to report the note in escrow twice',
          () => escrowReports >= asked + 2,
          WAIT_MS,
        );
        host.control({ action: 'power.cut' });
      }
      await waitUntil(`the power cut with a note in the ${where}`, () => model().phase === 'off', WAIT_MS);
    },
    powerOn: () => void host.control({ action: 'power.on' }),
    corruptLine: (rate) => void host.control({ action: 'line.set', corruptRate: rate }),
    corruptedChunks: () => host.snapshot().line.corruptedChunks,
    creditReports: () => creditReports,
    readyForNote: () => {
      const m = model();
      return m.note === null && m.status === 'idling';
    },
    ledger: () => host.control({ action: 'ledger' }) as LedgerEntry[],
    async close() {
      await endpoint?.close();
      await pty?.close();
      host.close();
    },
  };
}

const WRITE_KINDS: Partial<Record<string, WireWrite>> = {
  stack1: 'stack',
  stack2: 'stack',
  ack: 'creditAck',
};

/**
 * The binding with a hook on every port write: each frame the driver writes is reported to the
 * contract host as it goes out (the driver writes one frame per write), and a credit ACK can be
 * lost on the wire, as a noisy line loses it.
 */
function tracedBinding(
  binding: BindingInterface,
  host: ContractHost,
  loseAcks: () => boolean,
): BindingInterface {
  const parser = new Id003FrameParser();
  const traceWrite = (buffer: Buffer): boolean => {
    let lost = false;
    for (const frame of parser.push(buffer)) {
      const write = WRITE_KINDS[decodeCommand(frame).kind] ?? 'other';
      host.wrote(write);
      if (write === 'creditAck' && loseAcks()) lost = true;
    }
    return lost;
  };
  const tracedPort = (port: BindingPortInterface): BindingPortInterface =>
    new Proxy(port, {
      get(target, property) {
        if (property === 'write') {
          return (buffer: Buffer) => (traceWrite(buffer) ? Promise.resolve() : target.write(buffer));
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return {
    ...binding,
    list: () => binding.list(),
    open: async (options) => tracedPort(await binding.open(options)),
  };
}

async function id003Driver(
  sim: Id003ContractSimulator,
  host: ContractHost,
  pace: ContractPace,
): Promise<ContractDriver> {
  let loseAcks = false;
  const timing =
    pace === 'burst'
      ? // The answer timeout stays above the unit's 100 ms inter-byte timeout, as in production.
        { pollIntervalMs: 2, answerTimeoutMs: 120, retries: 3 }
      : { pollIntervalMs: 100, answerTimeoutMs: 150, retries: 3 };
  const acceptor = createId003Acceptor({
    name: 'cashAcceptor',
    config: {
      port: sim.port.path,
      ...timing,
      silenceTimeoutMs: 1_000,
      stackCommand: 'stack2',
      escrowHoldMs: 0,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0 },
    },
    currency: { code: 'CNY', minorUnitsPerMajor: 100, denominations: [...CNY_NOTES] },
    binding: tracedBinding(sim.port.binding, host, () => loseAcks),
    hooks: host,
    logger,
  });
  // The ID-003 driver follows a transport its owner runs (the daemon's wiring starts both): the
  // line is up before the suite starts the acceptor.
  acceptor.transport.start();
  return {
    acceptor: acceptor.driver,
    loseCreditAcks(on) {
      loseAcks = on;
    },
    async close() {
      await acceptor.stop();
    },
  };
}

for (const [variant, name, corruptedLineNotes] of [
  ['inProcess', 'ID-003 over the in-process binding', 300],
  ['pty', 'ID-003 over a pty', 120],
] as const) {
  describeCashAcceptorContract<Id003ContractSimulator>({
    name,
    simulator: (pace) => id003Simulator(variant, pace),
    driver: id003Driver,
    denominations: CNY_NOTES,
    corruptedLineNotes,
  });
}
