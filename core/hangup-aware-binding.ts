import { read } from 'node:fs';
import { promisify } from 'node:util';

const readAsync = promisify(read);

/** What a POSIX port of @serialport/bindings-cpp carries beside the binding contract. */
interface UnixPort {
  readonly fd: number | null;
  readonly isOpen: boolean;
  readonly poller: { once(event: 'readable', listener: (error: Error | null) => void): unknown };
}

function isUnixPort(port: unknown): port is UnixPort {
  const candidate = port as Partial<UnixPort> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.fd === 'number' &&
    typeof candidate.poller?.once === 'function'
  );
}

/** The stream treats a `canceled` read error as "we closed it", not as a pulled cable. */
function notOpen(): Error {
  return Object.assign(new Error('Port is not open'), { canceled: true });
}

/** The stream closes the port as disconnected on any read error that is not `canceled`. */
function hungUp(): Error {
  return Object.assign(new Error('read(2) returned end of file: the other end of the line hung up'), {
    code: 'EIO',
    disconnect: true,
  });
}

function readable(port: UnixPort): Promise<void> {
  return new Promise((resolve, reject) => {
    port.poller.once('readable', (error) => (error ? reject(error) : resolve()));
  });
}

const RETRY_LATER = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/**
 * One read of a POSIX tty that reports a hangup. bindings-cpp 13 reads again at once when
 * read(2) returns 0 (serialport/bindings-cpp#162). A tty whose other end hung up returns 0 for
 * ever: a USB adapter pulled while a read was in flight, or socat killed. So the port never
 * closes, and the read loop spins on the thread pool. Here 0 bytes is a hangup, and the port closes
 * as disconnected like any other pulled cable.
 */
async function readReportingHangup(
  port: UnixPort,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<{ bytesRead: number; buffer: Buffer }> {
  if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1) {
    throw new TypeError(`read range ${offset}+${length} is not a positive integer range`);
  }
  if (buffer.length < offset + length) throw new RangeError('buffer is too small');
  for (;;) {
    const fd = port.fd;
    if (!port.isOpen || fd === null) throw notOpen();
    let bytesRead: number;
    try {
      bytesRead = (await readAsync(fd, buffer, offset, length, null)).bytesRead;
    } catch (error) {
      if (!RETRY_LATER.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      if (!port.isOpen) throw notOpen();
      await readable(port);
      continue;
    }
    if (bytesRead === 0) throw hungUp();
    return { bytesRead, buffer };
  }
}

/** The part of a node-serialport binding this wraps (core/ names no type of the serial packages). */
interface PortOpener {
  open(options: never): Promise<unknown>;
}

/**
 * The platform binding with hangup detection on POSIX ports. Other ports (Windows, the
 * in-process simulator binding) are returned as they are.
 */
export function hangupAwareBinding<Binding extends PortOpener>(binding: Binding): Binding {
  const wrapped = Object.create(binding) as Binding & { open(options: never): Promise<unknown> };
  wrapped.open = async (options: never) => {
    const port = await binding.open(options);
    if (!isUnixPort(port)) return port;
    const unix = port;
    // An own property, so the port keeps its class and every other method.
    Object.defineProperty(port, 'read', {
      value: (buffer: Buffer, offset: number, length: number) =>
        readReportingHangup(unix, buffer, offset, length),
      configurable: true,
      writable: true,
    });
    return port;
  };
  return wrapped;
}
