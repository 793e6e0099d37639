import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach } from 'vitest';
import { hangupAwareBinding } from '../../../../../core/hangup-aware-binding.js';
import { createEppPinPad, type EppPinPadSection } from '../../../../../devices/pin-pad/epp/create.js';
import type { MaskedKey, PinPad, PinPadStatus } from '../../../../../devices/pin-pad/pin-pad.js';
import type { BindingInterface } from '../../../../../devices/transport/serial-binding.js';
import { eppSimulatorFactory } from '../../../../../simulators/epp/epp-factory.js';
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

export type PadVariant = 'inProcess' | 'pty';
export const PAD_VARIANTS: readonly PadVariant[] = ['inProcess', 'pty'];

export const TDES_BDK = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
export const AES_BDK = Buffer.from('FEDCBA9876543210F1F1F1F1F1F1F1F1', 'hex');

export interface PadRigOptions {
  variant: PadVariant;
  /** Simulator model options on top of the fast timing preset. */
  model?: Record<string, unknown>;
  config?: Partial<EppPinPadSection>;
  logger?: Logger;
  /** The config's `log.byteTrace`, which the pad's wiring keeps off. */
  byteTrace?: boolean;
}

export interface PadDriverRig {
  readonly pad: PinPad;
  readonly sim: SimulatorHost;
  readonly statuses: PinPadStatus[];
  /** Every pinKey event, in order. */
  readonly pinKeys: MaskedKey[];
  /** Every dataKey event, in order: the digit for digits, else the key. */
  readonly dataKeys: string[];
  /** The customer's fingers on the simulator's keys, once the pad shows an entry (keys before do nothing). */
  press(keys: string, intervalMs?: number): Promise<void>;
  control(command: Record<string, unknown>): Record<string, unknown>;
  unplug(): Promise<void>;
  plug(): Promise<void>;
  close(): Promise<void>;
}

/** The EPP driver against the pad simulator over the in-process binding or a real pty (socat). */
export async function startPadRig(options: PadRigOptions): Promise<PadDriverRig> {
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
    const sim = new SimulatorHost(eppSimulatorFactory.create({ timingPreset: 'fast', ...options.model }), {
      name: 'epp',
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
      registry.register('epp', sim);
      binding = new SimulatorBinding(registry) as unknown as BindingInterface;
      path = 'sim:epp';
    }
    const pad = createEppPinPad({
      name: 'pinPad',
      config: {
        port: path,
        baudRate: 9600,
        answerTimeoutMs: 300,
        statusPollIntervalMs: 100,
        silenceTimeoutMs: 1_000,
        rawKeyBytes: {},
        reconnect: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0 },
        ...options.config,
      },
      binding,
      logger,
      ...(options.byteTrace === undefined ? {} : { byteTrace: options.byteTrace }),
    });
    cleanups.push(() => pad.stop());
    const statuses: PinPadStatus[] = [];
    const pinKeys: MaskedKey[] = [];
    const dataKeys: string[] = [];
    pad.on('status', (status) => statuses.push(status));
    pad.on('pinKey', (key) => pinKeys.push(key));
    pad.on('dataKey', (key) => dataKeys.push(key.digit ?? key.key));
    const control = (command: Record<string, unknown>) => sim.control(command) as Record<string, unknown>;
    return {
      pad,
      sim,
      statuses,
      pinKeys,
      dataKeys,
      async press(keys, intervalMs) {
        await waitUntil('the pad taking an entry', () => control({ action: 'state' })['entry'] !== 'idle');
        control({ action: 'keys.press', keys, ...(intervalMs === undefined ? {} : { intervalMs }) });
      },
      control,
      async unplug() {
        if (!pty) {
          control({ action: 'cable.unplug' });
          return;
        }
        pty.kill();
        await endpoint?.close();
        endpoint = undefined;
      },
      async plug() {
        if (!pty) {
          control({ action: 'cable.plug' });
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
export function closeRigsAfterEach(): PadDriverRig[] {
  const rigs: PadDriverRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.close();
  });
  return rigs;
}

/** The pad as a PIN entry needs it: started, status read. */
export async function online(rig: PadDriverRig): Promise<void> {
  await rig.pad.start();
  await waitUntil('the pad online', () => rig.pad.status.state === 'online');
}
