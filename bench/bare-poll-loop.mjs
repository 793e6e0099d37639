// @ts-check
/**
 * The floor the idle-cpu bench judges the daemon against: a `serialport` loop that writes the
 * 5-byte ID-003 status request every interval and reads the answer, with nothing else (no
 * parsing, no journal, no timers beyond the one). Plain JavaScript run by plain node, as the
 * daemon's compiled dist/ is, so no TypeScript loader is measured with it.
 *
 * Usage: node bench/bare-poll-loop.mjs <port path> <interval ms>
 * Prints `open` once the port is open; SIGTERM closes the port and exits.
 */
import { SerialPort } from 'serialport';

/** FC 05 11 27 56: ID-003 STATUS REQUEST with its CRC. */
const STATUS_REQUEST = Buffer.from([0xfc, 0x05, 0x11, 0x27, 0x56]);

const [path, intervalText] = process.argv.slice(2);
const intervalMs = Number(intervalText);
if (!path || !Number.isInteger(intervalMs) || intervalMs < 1) {
  console.error('usage: node bench/bare-poll-loop.mjs <port path> <interval ms>');
  process.exit(2);
}

let bytesIn = 0;
const port = new SerialPort({ path, baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 }, (error) => {
  if (error) {
    console.error(`bare-poll-loop: cannot open ${path}: ${error.message}`);
    process.exit(1);
  }
  console.log('open');
});
port.on('data', (/** @type {Buffer} */ chunk) => {
  bytesIn += chunk.length;
});
port.on('error', (error) => console.error(`bare-poll-loop: ${error.message}`));
const timer = setInterval(() => port.write(STATUS_REQUEST), intervalMs);

process.once('SIGTERM', () => {
  clearInterval(timer);
  port.close(() => {
    console.log(`bytes in ${bytesIn}`);
    process.exit(0);
  });
});
