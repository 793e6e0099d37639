import { ErrorCode, KioskError } from '../core/errors.js';
import { echoModelFactory } from './echo/echo-model.js';
import { eppSimulatorFactory } from './epp/epp-factory.js';
import { escposSimulatorFactory } from './escpos/escpos-factory.js';
import type { DeviceModelFactory } from './harness/device-model.js';
import { SimulatorHost, type SimulatorHostOptions } from './harness/simulator-host.js';
import { id003SimulatorFactory } from './id003/id003-factory.js';

/** Add a model by adding its factory here. */
const factories: DeviceModelFactory[] = [
  echoModelFactory,
  id003SimulatorFactory,
  escposSimulatorFactory,
  eppSimulatorFactory,
];

/** Every device model the simulators offer, by kind. */
export const simulatorFactories: ReadonlyMap<string, DeviceModelFactory> = new Map(
  factories.map((factory) => [factory.kind, factory]),
);

export interface CreateSimulatorHostOptions extends SimulatorHostOptions {
  /** Passed to the model factory (line settings, timings...); each model validates its own. */
  model?: Record<string, unknown>;
}

export function simulatorFactory(kind: string): DeviceModelFactory {
  const factory = simulatorFactories.get(kind);
  if (!factory) {
    const known = [...simulatorFactories.keys()].sort();
    throw new KioskError(
      ErrorCode.SimUnknownDevice,
      `unknown simulator kind "${kind}" (known: ${known.join(', ')})`,
      {
        details: { kind, known },
      },
    );
  }
  return factory;
}

export function createSimulatorHost(kind: string, options: CreateSimulatorHostOptions = {}): SimulatorHost {
  const { model, ...hostOptions } = options;
  return new SimulatorHost(simulatorFactory(kind).create(model), hostOptions);
}
