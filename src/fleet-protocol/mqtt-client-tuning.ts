import type { IClientOptions } from 'mqtt';

/**
 * mqtt.js options every fleet client (the kiosk's link, the ledger, the tools) adds to its
 * own, for what each message costs at thousands of messages a second:
 *
 * - `reschedulePings: false`: by default mqtt.js clears and re-arms its keepalive timer on
 *   every packet it sends or acknowledges, a timer-heap insert and removal per payment. A
 *   PINGREQ once per keepalive period on a busy connection costs nothing in comparison, and
 *   a dead connection is still noticed within the keepalive period.
 * - `log`: mqtt.js formats a debug line (through the `debug` package) several times per
 *   packet; with `DEBUG` unset nobody reads them, so the calls go to a no-op. With `DEBUG`
 *   set, mqtt.js logs as usual (`DEBUG=mqttjs*`).
 */
export function fleetMqttTuning(
  env: NodeJS.ProcessEnv = process.env,
): Pick<IClientOptions, 'reschedulePings' | 'log'> {
  const debugWanted = (env['DEBUG'] ?? '').trim() !== '';
  return { reschedulePings: false, ...(debugWanted ? {} : { log: noop }) };
}

function noop(): void {}
