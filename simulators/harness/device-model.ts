import type { LineSettings } from '../../core/line-settings.js';

/**
 * A simulated device: a pure object fed bytes and time, emitting bytes. It holds no timers
 * and does no I/O, so tests can drive it with a virtual clock and the same model runs behind
 * the in-process binding and behind a pty. Time is a monotonic millisecond count supplied by
 * the caller (the harness uses performance.now()).
 */
export interface DeviceModel {
  /** Short name used in `sim:<kind>` paths and `kioskd sim <kind>`. */
  readonly kind: string;
  /** The line the physical device speaks; the harness paces output at its wire time. */
  readonly line: LineSettings;
  /** Bytes from the host arrived at `now`. */
  receive(bytes: Uint8Array, now: number): void;
  /**
   * Advance the model to `now`. Returns what the device starts to transmit by then, as whole
   * chunks (one chunk is normally one frame), oldest first; an empty array when silent.
   */
  advance(now: number): Uint8Array[];
  /** The earliest time the model needs `advance` again, or undefined while it waits for input. */
  nextDeadline(): number | undefined;
  /**
   * A physical-world action (insert a note, open a cover, power-cut...). The command is
   * untrusted JSON from the control channel: the model validates it and throws a KioskError
   * with code SimBadControl naming what was wrong, changing nothing.
   * Returns a JSON-serialisable result.
   */
  control(command: unknown, now: number): unknown;
  /** A JSON-serialisable view of the model's state (ground truth for tests). */
  snapshot(): unknown;
}

export interface DeviceModelFactory {
  readonly kind: string;
  readonly description: string;
  create(options?: Record<string, unknown>): DeviceModel;
}
