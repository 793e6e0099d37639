/**
 * What a device has queued for its UART, each message with the instant it may start out. One
 * UART sends in the order messages reach it. Two ways in, after how the firmware works:
 * - `append`: the message is queued now, though it may not start before `at` (an ESC/POS
 *   `DLE EOT` reply is taken on receipt, with what the sensors said then): it goes behind
 *   everything queued before and ahead of everything queued later, whatever their times;
 * - `schedule`: the message reaches the UART only at `at` (a command the firmware works on
 *   for a while): what other parts of it queue meanwhile (key presses) goes ahead of it.
 */
export class TransmitQueue {
  #pending: Array<{ at: number; bytes: Uint8Array }> = [];

  get length(): number {
    return this.#pending.length;
  }

  /** When the next message is due, if any. */
  get nextAt(): number | undefined {
    return this.#pending[0]?.at;
  }

  append(bytes: Uint8Array, at: number): void {
    const tail = this.#pending.at(-1);
    this.#pending.push({ at: tail !== undefined && tail.at > at ? tail.at : at, bytes });
  }

  schedule(bytes: Uint8Array, at: number): void {
    let index = this.#pending.length;
    while (index > 0 && this.#pending[index - 1]!.at > at) index--;
    this.#pending.splice(index, 0, { at, bytes });
  }

  /** Removes and returns, in order, every message due at `now`. */
  takeDue(now: number): Uint8Array[] {
    const due: Uint8Array[] = [];
    while (this.#pending.length > 0 && this.#pending[0]!.at <= now) due.push(this.#pending.shift()!.bytes);
    return due;
  }

  /** Power lost: what waited in the UART never goes out. */
  clear(): void {
    this.#pending = [];
  }
}
