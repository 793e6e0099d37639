import { IDLE_PRINTER_CONDITION, type PrinterCondition } from '../printer-status.js';

/**
 * The printer's condition merged from the frames that report it (DLE EOT replies, each with some
 * fields; ASB messages, with all of them), as they came off the wire. Frames are not applied in
 * that order: a reply and an ASB message that arrive in one read reach the driver ASB first, the
 * reply only after the awaits of its query. So each field keeps the arrival number of the frame
 * it was last taken from, and an older frame never overwrites a newer fact (a reply taken just
 * before the cover opened must not close it again).
 */
export class ConditionByArrival {
  #condition: PrinterCondition | undefined;
  readonly #arrivalOf = new Map<keyof PrinterCondition, number>();

  /** Undefined until a frame said something (on a new connection, until the first one). */
  get current(): PrinterCondition | undefined {
    return this.#condition;
  }

  /** Merges what the frame numbered `arrival` said; returns the condition now. */
  apply(part: Partial<PrinterCondition>, arrival: number): PrinterCondition {
    const newer: Partial<PrinterCondition> = {};
    for (const [field, value] of Object.entries(part) as Array<[keyof PrinterCondition, never]>) {
      if ((this.#arrivalOf.get(field) ?? Number.NEGATIVE_INFINITY) > arrival) continue;
      this.#arrivalOf.set(field, arrival);
      newer[field] = value;
    }
    this.#condition = { ...(this.#condition ?? IDLE_PRINTER_CONDITION), ...newer };
    return this.#condition;
  }

  /** What the printer said on the last connection may no longer hold. */
  reset(): void {
    this.#condition = undefined;
    this.#arrivalOf.clear();
  }
}
