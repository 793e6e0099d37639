import { DLE, EOT } from '../../devices/printer/escpos/codec/index.js';

export type RealtimeQuery = 1 | 2 | 3 | 4;

export type RealtimeCommand = { kind: 'status'; query: RealtimeQuery } | { kind: 'clearBuffers' };

const DC4 = 0x14;
/** `DLE DC4 fn=8 1 3 20 1 6 2 8`: clear the receive and print buffers (Epson, Citizen). */
const CLEAR_BUFFERS = [DLE, DC4, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08] as const;

/** Whether `held` is the start of a real-time command, and which one when it is whole. */
function match(held: readonly number[]): RealtimeCommand | 'prefix' | undefined {
  if (held[0] !== DLE) return undefined;
  if (held.length === 1) return 'prefix';
  if (held[1] === EOT) {
    if (held.length === 2) return 'prefix';
    const n = held[2]!;
    return held.length === 3 && n >= 1 && n <= 4 ? { kind: 'status', query: n as RealtimeQuery } : undefined;
  }
  if (!held.every((b, i) => b === CLEAR_BUFFERS[i])) return undefined;
  return held.length === CLEAR_BUFFERS.length ? { kind: 'clearBuffers' } : 'prefix';
}

/**
 * Picks the real-time commands out of the byte stream as it arrives, before the receive
 * buffer, as a real printer's receive interrupt does: `DLE EOT n` is answered and `DLE DC4 8`
 * clears the buffers even when the buffer is full or the printer is offline. Like the real
 * thing it does not know command structure, so the sequence inside another command's data is
 * taken as a command too (Epson and Citizen warn about this). Everything else, including a DLE
 * that turns out to start nothing, goes on to the buffer in order. Holds at most 9 bytes.
 */
export class RealtimeCommandFilter {
  private held: number[] = [];

  /** Splits `bytes` into runs of data for the buffer and the commands between them, in order. */
  filter(bytes: Uint8Array): Array<RealtimeCommand | { kind: 'data'; bytes: Uint8Array }> {
    const out: Array<RealtimeCommand | { kind: 'data'; bytes: Uint8Array }> = [];
    let data: number[] = [];
    for (const byte of bytes) {
      this.held.push(byte);
      // A failed match gives back its first byte and tries again from the next one, so a DLE
      // inside a broken sequence can still start a command.
      for (;;) {
        const result = match(this.held);
        if (result === 'prefix') break;
        if (result !== undefined) {
          if (data.length > 0) out.push({ kind: 'data', bytes: Uint8Array.from(data) });
          data = [];
          out.push(result);
          this.held = [];
          break;
        }
        data.push(this.held.shift()!);
        if (this.held.length === 0) break;
      }
    }
    if (data.length > 0) out.push({ kind: 'data', bytes: Uint8Array.from(data) });
    return out;
  }

  reset(): void {
    this.held = [];
  }
}
