import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach } from 'vitest';
import { hangupAwareBinding } from '../../../../../core/hangup-aware-binding.js';
import {
  createEscPosPrinter,
  type EscPosPrinterSection,
} from '../../../../../devices/printer/escpos/create.js';
import type { ReceiptPrinter } from '../../../../../devices/printer/printer.js';
import type { PrinterStatus } from '../../../../../devices/printer/printer-status.js';
import type { BindingInterface } from '../../../../../devices/transport/serial-binding.js';
import { escposSimulatorFactory } from '../../../../../simulators/escpos/escpos-factory.js';
import type { ReceiptView } from '../../../../../simulators/escpos/virtual-paper.js';
import { openPtyPair, type PtyPair } from '../../../../../simulators/harness/pty-pair.js';
import {
  attachToSerialPath,
  type SerialEndpoint,
} from '../../../../../simulators/harness/serial-endpoint.js';
import { SimulatorBinding } from '../../../../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../../../simulators/harness/simulator-registry.js';
import { type Logger, silentLogger } from '../../../../../src/log.js';
import { requireTool } from '../../../../helpers/require-tool.js';
import { waitUntil } from '../../../../helpers/wait-until.js';

export { waitUntil };

export type PrinterVariant = 'inProcess' | 'pty';
export const PRINTER_VARIANTS: readonly PrinterVariant[] = ['inProcess', 'pty'];

/** The simulator's fast mechanism (timing preset `fast`), which the driver is told about. */
const FAST_GEOMETRY = { cutMs: 30 };
const FAST_SPEED_MM_PER_S = 2000;

export interface PrinterRigOptions {
  variant: PrinterVariant;
  /** Simulator model options on top of the fast timing preset. */
  model?: Record<string, unknown>;
  config?: Partial<EscPosPrinterSection>;
  jobStatusIntervalMs?: number;
  /** The mechanism the driver assumes; the fast preset's by default. */
  geometry?: { cutMs?: number; lineHeightMm?: number; cutterDistanceMm?: number };
  logger?: Logger;
}

export interface PrinterDriverRig {
  readonly printer: ReceiptPrinter;
  readonly sim: SimulatorHost;
  /** Every status the printer reported, in order. */
  readonly statuses: PrinterStatus[];
  control(command: Record<string, unknown>): unknown;
  receipts(): ReceiptView[];
  model(): Record<string, unknown>;
  unplug(): Promise<void>;
  plug(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The ESC/POS driver against the printer simulator over the in-process binding (wire time
 * paced by the harness) or a real pty through socat.
 */
export async function startPrinterRig(options: PrinterRigOptions): Promise<PrinterDriverRig> {
  const logger = options.logger ?? silentLogger();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Teardown keeps going: one failed step must not leak the rest.
      }
    }
  };
  try {
    const sim = new SimulatorHost(escposSimulatorFactory.create({ timingPreset: 'fast', ...options.model }), {
      name: 'escpos',
      wireTime: true,
      seed: 7,
      logger,
    });
    cleanups.push(() => sim.close());
    let binding: BindingInterface;
    let path: string;
    let pty: PtyPair | undefined;
    let endpoint: SerialEndpoint | undefined;
    if (options.variant === 'pty') {
      requireTool('socat');
      pty = await openPtyPair();
      const pair = pty;
      cleanups.push(() => pair.close());
      endpoint = await attachToSerialPath(sim, pair.devicePath, logger);
      cleanups.push(() => endpoint?.close());
      binding = hangupAwareBinding(autoDetect()) as unknown as BindingInterface;
      path = pair.hostPath;
    } else {
      const registry = new SimulatorRegistry();
      registry.register('escpos', sim);
      binding = new SimulatorBinding(registry) as unknown as BindingInterface;
      path = 'sim:escpos';
    }
    const model = options.model ?? {};
    const printer = createEscPosPrinter({
      name: 'printer',
      config: {
        port: path,
        baudRate: (model['baudRate'] as number | undefined) ?? 9600,
        flowControl: (model['flowControl'] as 'xonxoff' | 'rtscts' | undefined) ?? 'xonxoff',
        columns: 48,
        answerTimeoutMs: 500,
        statusPollIntervalMs: 200,
        silenceTimeoutMs: 1_500,
        jobStallTimeoutMs: 8_000,
        printSpeedMmPerSecond: FAST_SPEED_MM_PER_S,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0 },
        ...options.config,
      },
      binding,
      logger,
      geometry: options.geometry ?? FAST_GEOMETRY,
      ...(options.jobStatusIntervalMs === undefined
        ? {}
        : { jobStatusIntervalMs: options.jobStatusIntervalMs }),
    });
    cleanups.push(() => printer.stop());
    const statuses: PrinterStatus[] = [];
    printer.on('status', (status) => statuses.push(status));
    return {
      printer,
      sim,
      statuses,
      control: (command) => sim.control(command),
      receipts: () => (sim.control({ action: 'paper.receipts' }) as { receipts: ReceiptView[] }).receipts,
      model: () => sim.snapshot().model as Record<string, unknown>,
      async unplug() {
        if (!pty) {
          sim.control({ action: 'cable.unplug' });
          return;
        }
        pty.kill();
        await endpoint?.close();
        endpoint = undefined;
      },
      async plug() {
        if (!pty) {
          sim.control({ action: 'cable.plug' });
          return;
        }
        await pty.restart();
        endpoint = await attachToSerialPath(sim, pty.devicePath, logger);
      },
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The rigs a test file starts, closed after each test. */
export function closeRigsAfterEach(): PrinterDriverRig[] {
  const rigs: PrinterDriverRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.close();
  });
  return rigs;
}
