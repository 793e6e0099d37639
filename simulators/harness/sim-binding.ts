import type { OpenOptions as StreamOpenOptions } from '@serialport/stream';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { LineSettings } from '../../core/line-settings.js';
import type { SimulatorHost } from './simulator-host.js';
import type { SimulatorRegistry } from './simulator-registry.js';

/*
 * The binding contract's types. @serialport/bindings-interface hides its typings from NodeNext
 * ESM resolution (its export map has no types condition), but @serialport/stream's typings
 * use them, so they are reached from there.
 */
type BindingInterface = StreamOpenOptions['binding'];
type BindingPortInterface = Awaited<ReturnType<BindingInterface['open']>>;
type OpenOptions = Parameters<BindingInterface['open']>[0];
type PortInfo = Awaited<ReturnType<BindingInterface['list']>>[number];
type PortStatus = Awaited<ReturnType<BindingPortInterface['get']>>;
type SetOptions = Parameters<BindingPortInterface['set']>[0];
type UpdateOptions = Parameters<BindingPortInterface['update']>[0];

/** What a serial driver buffers on the receive side before it starts losing bytes. */
export const DEFAULT_INPUT_BUFFER_BYTES = 64 * 1024;

const PATH = /^sim:(.+)$/;
const PARITIES = ['none', 'even', 'odd', 'mark', 'space'] as const;

export interface SimulatorBindingOptions {
  /** Receive buffer bound per port; the oldest bytes are dropped (and counted) beyond it. */
  inputBufferBytes?: number;
}

/** The error a read or write gets once the cable is out; SerialPortStream then closes with a disconnect. */
export type DisconnectedError = KioskError & { disconnected: true };
/** The error pending I/O gets when the port is closed; SerialPortStream ignores it. */
export type CanceledError = KioskError & { canceled: true };

function disconnectedError(device: string): DisconnectedError {
  return Object.assign(
    new KioskError(ErrorCode.SimUnplugged, `simulated device ${device} was disconnected (cable unplugged)`, {
      details: { device },
    }),
    { disconnected: true as const },
  );
}

function canceledError(device: string): CanceledError {
  return Object.assign(
    new KioskError(ErrorCode.SimPortClosed, `port sim:${device} is closed`, { details: { device } }),
    { canceled: true as const },
  );
}

function badOption(field: string, message: string, value: unknown): KioskError {
  return new KioskError(ErrorCode.SimBadPortOptions, `${field}: ${message}`, { details: { field, value } });
}

function validBaudRate(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw badOption('baudRate', 'expected a positive integer', value);
  }
  return value;
}

function normaliseOpenOptions(options: OpenOptions): Required<OpenOptions> {
  const dataBits = options.dataBits ?? 8;
  if (![5, 6, 7, 8].includes(dataBits)) throw badOption('dataBits', 'expected 5, 6, 7 or 8', dataBits);
  const stopBits = options.stopBits ?? 1;
  if (![1, 1.5, 2].includes(stopBits)) throw badOption('stopBits', 'expected 1, 1.5 or 2', stopBits);
  const parity = options.parity ?? 'none';
  if (!(PARITIES as readonly string[]).includes(parity)) {
    throw badOption('parity', `expected one of ${PARITIES.join(', ')}`, parity);
  }
  return {
    path: options.path,
    baudRate: validBaudRate(options.baudRate),
    dataBits,
    stopBits,
    parity,
    lock: options.lock ?? true,
    rtscts: options.rtscts ?? false,
    xon: options.xon ?? false,
    xoff: options.xoff ?? false,
    xany: options.xany ?? false,
    hupcl: options.hupcl ?? true,
  };
}

function sameFraming(port: Required<OpenOptions>, line: LineSettings): boolean {
  return (
    port.baudRate === line.baudRate &&
    port.dataBits === line.dataBits &&
    port.stopBits === line.stopBits &&
    port.parity === line.parity
  );
}

/**
 * Byte substitution for a port whose framing differs from the device's. On a real line a
 * wrong baud rate or parity produces framing and parity errors and bytes that have nothing to
 * do with what was sent; which bytes exactly depends on analogue bit timing no model could
 * reproduce faithfully. What a host must be able to rely on is only this: nothing valid gets
 * through, and the garbage is the same on every run. So each byte maps through a fixed table,
 * keyed by the two framings and the direction, that never maps a byte to itself.
 */
function garbleTable(port: Required<OpenOptions>, line: LineSettings, direction: string): Uint8Array {
  const text = `${port.baudRate}/${port.dataBits}/${port.parity}/${port.stopBits}|${line.baudRate}/${line.dataBits}/${line.parity}/${line.stopBits}|${direction}`;
  let key = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) key = Math.imul(key ^ text.charCodeAt(i), 0x01000193) >>> 0;
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    let mixed = Math.imul((b ^ key) + (key >>> 8), 0x9e3779b1) >>> 0;
    mixed ^= mixed >>> 15;
    let g = (mixed >>> 7) & 0xff;
    if (g === b) g = b ^ 0xff;
    table[b] = g;
  }
  return table;
}

function substitute(bytes: Uint8Array, table: Uint8Array | undefined): Uint8Array {
  if (!table) return Uint8Array.from(bytes);
  return bytes.map((b) => table[b] ?? b);
}

interface PendingRead {
  buffer: Buffer;
  offset: number;
  length: number;
  resolve: (value: { buffer: Buffer; bytesRead: number }) => void;
  reject: (error: Error) => void;
}

type PortState = 'open' | 'disconnected' | 'closed';

/** One open `sim:<name>` port: the host end of the simulated cable. */
export class SimulatorPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  readonly device: string;
  /**
   * Stays true after an unplug until close() is called, as with a real fd after a USB adapter
   * vanishes: SerialPortStream turns the failing read into a disconnect only while the port
   * still reports open, and then closes it itself.
   */
  isOpen = true;
  private state: PortState = 'open';
  private readonly host: SimulatorHost;
  private readonly bufferLimit: number;
  private rx: Buffer[] = [];
  private rxBytes = 0;
  private overflowBytes = 0;
  private readonly pendingReads: PendingRead[] = [];
  private toDeviceTable: Uint8Array | undefined;
  private toHostTable: Uint8Array | undefined;
  private flags: Required<SetOptions> = { brk: false, cts: false, dsr: false, dtr: true, rts: true };
  private readonly cleanups: (() => void)[] = [];

  constructor(host: SimulatorHost, device: string, openOptions: Required<OpenOptions>, bufferLimit: number) {
    this.host = host;
    this.device = device;
    this.openOptions = openOptions;
    this.bufferLimit = bufferLimit;
    this.cleanups.push(host.attach(`port ${openOptions.path}`));
    this.updateFraming();
    this.cleanups.push(host.onToHost((bytes) => this.receive(bytes)));
    const onGone = () => this.disconnect();
    host.on('unplug', onGone);
    host.on('close', onGone);
    this.cleanups.push(() => {
      host.off('unplug', onGone);
      host.off('close', onGone);
    });
  }

  /** Bytes lost because the receive buffer was full. */
  get droppedBytes(): number {
    return this.overflowBytes;
  }

  /** Bytes received and not yet read. */
  get bufferedBytes(): number {
    return this.rxBytes;
  }

  /** True when the opened framing differs from the device's and every byte is garbled. */
  get garbling(): boolean {
    return this.toHostTable !== undefined;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') throw canceledError(this.device);
    this.detach();
    this.state = 'closed';
    this.isOpen = false;
    this.rx = [];
    this.rxBytes = 0;
    const error = canceledError(this.device);
    for (const read of this.pendingReads.splice(0)) read.reject(error);
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    const failure = this.failure();
    if (failure) return Promise.reject(failure);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1) {
      return Promise.reject(
        badOption('read', `bad offset ${offset} or length ${length}`, { offset, length }),
      );
    }
    if (offset + length > buffer.length) {
      return Promise.reject(badOption('read', 'offset + length exceeds the buffer', { offset, length }));
    }
    return new Promise((resolve, reject) => {
      this.pendingReads.push({ buffer, offset, length, resolve, reject });
      this.serveReads();
    });
  }

  async write(buffer: Buffer): Promise<void> {
    const failure = this.failure();
    if (failure) throw failure;
    this.host.fromHost(substitute(buffer, this.toDeviceTable));
  }

  async update(options: UpdateOptions): Promise<void> {
    const failure = this.failure();
    if (failure) throw failure;
    this.openOptions.baudRate = validBaudRate(options?.baudRate);
    this.updateFraming();
  }

  async set(options: SetOptions): Promise<void> {
    const failure = this.failure();
    if (failure) throw failure;
    for (const [name, value] of Object.entries(options ?? {})) {
      if (!(name in this.flags)) throw badOption(name, 'not a control flag (brk, cts, dsr, dtr, rts)', value);
      if (value !== undefined && typeof value !== 'boolean')
        throw badOption(name, 'expected a boolean', value);
    }
    this.flags = { ...this.flags, ...options };
  }

  async get(): Promise<PortStatus> {
    const failure = this.failure();
    if (failure) throw failure;
    // The simulated cable carries a live device: its modem lines are asserted while plugged.
    return { cts: true, dsr: true, dcd: true };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    const failure = this.failure();
    if (failure) throw failure;
    return { baudRate: this.openOptions.baudRate };
  }

  async flush(): Promise<void> {
    const failure = this.failure();
    if (failure) throw failure;
    this.rx = [];
    this.rxBytes = 0;
  }

  async drain(): Promise<void> {
    const failure = this.failure();
    if (failure) throw failure;
    // write() hands bytes to the simulated line at once; there is no driver queue to wait on.
  }

  private failure(): Error | undefined {
    if (this.state === 'closed') return canceledError(this.device);
    if (this.state === 'disconnected') return disconnectedError(this.device);
    return undefined;
  }

  private updateFraming(): void {
    const line = this.host.model.line;
    if (sameFraming(this.openOptions, line)) {
      this.toDeviceTable = this.toHostTable = undefined;
    } else {
      this.toDeviceTable = garbleTable(this.openOptions, line, 'toDevice');
      this.toHostTable = garbleTable(this.openOptions, line, 'toHost');
    }
  }

  private receive(bytes: Uint8Array): void {
    if (this.state !== 'open') return;
    const chunk = Buffer.from(substitute(bytes, this.toHostTable));
    this.rx.push(chunk);
    this.rxBytes += chunk.length;
    this.trimOverflow();
    this.serveReads();
  }

  private trimOverflow(): void {
    let excess = this.rxBytes - this.bufferLimit;
    while (excess > 0) {
      const head = this.rx[0]!;
      if (head.length <= excess) {
        this.rx.shift();
        excess -= head.length;
        this.rxBytes -= head.length;
        this.overflowBytes += head.length;
      } else {
        this.rx[0] = head.subarray(excess);
        this.rxBytes -= excess;
        this.overflowBytes += excess;
        excess = 0;
      }
    }
  }

  private serveReads(): void {
    while (this.rxBytes > 0 && this.pendingReads.length > 0) {
      const read = this.pendingReads.shift()!;
      let copied = 0;
      while (copied < read.length && this.rx.length > 0) {
        const head = this.rx[0]!;
        const n = Math.min(head.length, read.length - copied);
        head.copy(read.buffer, read.offset + copied, 0, n);
        copied += n;
        if (n === head.length) this.rx.shift();
        else this.rx[0] = head.subarray(n);
      }
      this.rxBytes -= copied;
      read.resolve({ buffer: read.buffer, bytesRead: copied });
    }
  }

  private disconnect(): void {
    if (this.state !== 'open') return;
    this.state = 'disconnected';
    // Release the device at once: a replugged device may be opened again even if this
    // (dead) port is never closed, like a re-enumerated USB adapter.
    this.detach();
    this.rx = [];
    this.rxBytes = 0;
    const error = disconnectedError(this.device);
    for (const read of this.pendingReads.splice(0)) read.reject(error);
  }

  private detach(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

/**
 * A serialport binding whose ports are simulated devices (`sim:<name>`), so the daemon runs
 * the same SerialPortStream and driver code against simulators as against hardware.
 */
export class SimulatorBinding implements BindingInterface {
  private readonly registry: SimulatorRegistry;
  private readonly inputBufferBytes: number;

  constructor(registry: SimulatorRegistry, options: SimulatorBindingOptions = {}) {
    const limit = options.inputBufferBytes ?? DEFAULT_INPUT_BUFFER_BYTES;
    if (!Number.isInteger(limit) || limit < 1) {
      throw badOption('inputBufferBytes', 'expected a positive integer', limit);
    }
    this.registry = registry;
    this.inputBufferBytes = limit;
  }

  async list(): Promise<PortInfo[]> {
    return this.registry.entries().map(([name, host]) => ({
      path: `sim:${name}`,
      manufacturer: 'kioskd simulator',
      serialNumber: undefined,
      pnpId: `sim-${host.kind}`,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    }));
  }

  async open(options: OpenOptions): Promise<SimulatorPort> {
    if (typeof options !== 'object' || options === null) {
      throw badOption('options', 'expected an object with path and baudRate', options);
    }
    const match = typeof options.path === 'string' ? PATH.exec(options.path) : null;
    if (!match) {
      throw new KioskError(
        ErrorCode.SimUnknownDevice,
        `path "${String(options.path)}" is not of the form sim:<name>`,
        {
          details: { path: options.path },
        },
      );
    }
    const name = match[1]!;
    const settings = normaliseOpenOptions(options);
    const host = this.registry.require(name);
    if (host.isClosed) {
      throw new KioskError(ErrorCode.SimUnknownDevice, `simulator ${name} has been shut down`, {
        details: { device: name },
      });
    }
    if (host.cable === 'unplugged') {
      throw new KioskError(ErrorCode.SimUnplugged, `cannot open sim:${name}: its cable is unplugged`, {
        details: { device: name },
      });
    }
    return new SimulatorPort(host, name, settings, this.inputBufferBytes);
  }
}
