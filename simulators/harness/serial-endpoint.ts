import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { hangupAwareBinding } from '../../core/hangup-aware-binding.js';
import type { Logger } from '../../core/logger.js';
import type { SimulatorHost } from './simulator-host.js';

export interface SerialEndpoint {
  readonly path: string;
  /** Detaches the device and closes the port; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves a simulated device on a real serial path (normally the device end of a pty pair), so
 * the daemon or any serial tool can talk to it through the operating system. The port is
 * opened with the device's own line settings; pacing and faults stay in the SimulatorHost.
 */
export async function attachToSerialPath(
  host: SimulatorHost,
  path: string,
  logger: Logger,
): Promise<SerialEndpoint> {
  if (typeof path !== 'string' || path === '') {
    throw new KioskError(ErrorCode.SimBadPortOptions, 'path: expected a serial device path', {
      details: { path },
    });
  }
  const log = logger.child({ simulator: host.name, path });
  const release = host.attach(`serial endpoint ${path}`);
  const line = host.model.line;
  const port = new SerialPortStream({
    binding: hangupAwareBinding(autoDetect()),
    path,
    baudRate: line.baudRate,
    dataBits: line.dataBits,
    parity: line.parity,
    stopBits: line.stopBits,
    rtscts: line.rtscts,
    xon: line.xonxoff,
    xoff: line.xonxoff,
    autoOpen: false,
  });

  try {
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  } catch (error) {
    release();
    throw new KioskError(
      ErrorCode.SimBadPortOptions,
      `cannot open ${path} for simulator ${host.name}: ${(error as Error).message}`,
      { cause: error, details: { path, device: host.name } },
    );
  }

  let closing = false;
  const onData = (data: Buffer) => host.fromHost(data);
  port.on('data', onData);
  port.on('error', (error: Error) => log.warn({ err: error }, 'serial endpoint error'));
  port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
    // The other end going away (socat killed) is the pty's way of pulling the cable.
    if (!closing) log.warn({ disconnected: error?.disconnected === true }, 'serial endpoint closed under us');
  });
  const unsubscribe = host.onToHost((bytes) => {
    if (!port.isOpen) return;
    port.write(Buffer.from(bytes), (error) => {
      if (error) log.warn({ err: error }, 'writing device output to the serial path failed');
    });
  });
  log.info({ line }, 'simulator attached to serial path');

  let closed: Promise<void> | undefined;
  return {
    path,
    close() {
      closed ??= (async () => {
        closing = true;
        unsubscribe();
        port.off('data', onData);
        release();
        if (port.isOpen) {
          await new Promise<void>((resolve) => {
            port.close((error) => {
              if (error) log.warn({ err: error }, 'closing the serial endpoint failed');
              resolve();
            });
          });
        }
        log.info('simulator detached from serial path');
      })();
      return closed;
    },
  };
}
