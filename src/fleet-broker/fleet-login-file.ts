import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BrokerCredentials } from './broker-access.js';

/**
 * The fleet tools' config for the demo's embedded broker, written where the daemon keeps its
 * data: `kioskd fleet view --config var/embedded-fleet.yaml` logs in as the fleet. Its password
 * is made at each start, so the file is rewritten each time; mode 0600, like the API token,
 * since whoever reads it can send acks and commands to the demo kiosk.
 */
export const FLEET_LOGIN_FILE = 'embedded-fleet.yaml';

export function writeFleetLoginFile(
  dataDir: string,
  broker: { url: string; topicPrefix: string; login: BrokerCredentials },
): string {
  const path = join(dataDir, FLEET_LOGIN_FILE);
  const text = stringify({
    broker: { url: broker.url, protocolVersion: 4, ...broker.login },
    topicPrefix: broker.topicPrefix,
  });
  const partial = `${path}.${process.pid}.tmp`;
  // Created 0600 and renamed over the old one: never readable by others, never half written.
  writeFileSync(partial, `# written by kioskd demo at start; the password changes at every start\n${text}`, {
    mode: 0o600,
  });
  renameSync(partial, path);
  return path;
}

export function removeFleetLoginFile(path: string): void {
  rmSync(path, { force: true });
}
