import { describe, expect, it } from 'vitest';
import { parseFleetToolConfig } from '../../src/fleet/fleet-config.js';

/** The fleet tools' broker section follows the kiosk's rules, with its own defaults. */
describe('fleet tool config: broker', () => {
  const parse = (broker: Record<string, unknown>) => () => parseFleetToolConfig({ broker }, 'fleet.yaml');

  it('defaults to the demo broker on this machine over MQTT 3.1.1', () => {
    expect(parseFleetToolConfig({}, 'fleet.yaml').broker).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      protocolVersion: 4,
    });
  });

  it('trusts the system CAs for mqtts:// when no CA is given (a kiosk must name one)', () => {
    expect(
      parseFleetToolConfig({ broker: { url: 'mqtts://broker.example:8883' } }, 'fleet.yaml').broker.ca,
    ).toBe(undefined);
  });

  it('refuses a cert without its key, naming the missing one', () => {
    expect(parse({ url: 'mqtts://broker.example:8883', cert: 'fleet.crt' })).toThrow(
      /broker\.key.*cert and key go together/s,
    );
  });

  it('refuses TLS files on a plain link, naming each', () => {
    expect(parse({ url: 'mqtt://broker.example:1883', ca: 'ca.crt' })).toThrow(
      /broker\.ca.*expected nothing unless url is mqtts:\/\/ or wss:\/\//s,
    );
  });

  it('refuses a password without a user name', () => {
    expect(parse({ password: 'secret' })).toThrow(/broker\.username.*required when password is set/s);
  });
});
