import { DLE, EOT } from '../../devices/printer/escpos/codec/index.js';

export type RealtimeQuery = 1 | 2 | 3 | 4;

/**
 * Picks `DLE EOT n` out of the byte stream as it arrives, before the receive buffer, as a real
 * printer's receive interrupt does: the host gets its answer even when the buffer is full or the
 * printer is offline. Like the real thing it does not know command structure, so the sequence
 * inside another command's data is taken as a query too (Epson warns about this). Everything
 * else, including a DLE that turns out not to start a query, goes on to the buffer in order.
 */
export class RealtimeCommandFilter {
  /** DLE, or DLE EOT, held back until the next byte says whether it is a query. */
  private held: number[] = [];

  /** Splits `bytes` into what goes to the buffer and the queries, in arrival order. */
  filter(bytes: Uint8Array): { data: Uint8Array; queries: RealtimeQuery[] } {
    const data: number[] = [];
    const queries: RealtimeQuery[] = [];
    for (const byte of bytes) {
      if (this.held.length === 0) {
        if (byte === DLE) this.held.push(byte);
        else data.push(byte);
        continue;
      }
      if (this.held.length === 1) {
        if (byte === EOT) {
          this.held.push(byte);
          continue;
        }
        data.push(DLE);
        this.held = [];
        if (byte === DLE) this.held.push(byte);
        else data.push(byte);
        continue;
      }
      this.held = [];
      if (byte >= 1 && byte <= 4) {
        queries.push(byte as RealtimeQuery);
        continue;
      }
      data.push(DLE, EOT);
      if (byte === DLE) this.held.push(byte);
      else data.push(byte);
    }
    return { data: Uint8Array.from(data), queries };
  }

  reset(): void {
    this.held = [];
  }
}
