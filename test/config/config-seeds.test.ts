import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedDemoConfigPath, loadConfigFile, readEd25519PublicKey } from '../../src/config/index.js';

const repo = join(import.meta.dirname, '..', '..');

describe('seed configs', () => {
  it('finds the embedded demo config as an absolute path to seeds/demo.yaml', () => {
    const path = embeddedDemoConfigPath();
    expect(isAbsolute(path)).toBe(true);
    expect(path).toBe(join(repo, 'seeds', 'demo.yaml'));
    expect(existsSync(path)).toBe(true);
  });

  it('validates the demo config: simulated devices, embedded broker, local api, data under ./var', () => {
    const config = loadConfigFile(embeddedDemoConfigPath());
    expect(config.kioskId).toBe('demo-0001');
    expect(config.devices.cashAcceptor.port).toBe('sim:id003');
    expect(config.devices.printer.port.startsWith('sim:')).toBe(true);
    expect(config.devices.pinPad.port.startsWith('sim:')).toBe(true);
    expect(config.fleet.broker.url).toBe('embedded');
    expect(config.api).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.dataDir).toBe('./var');
    expect(config.journal.path).toBe(join('var', 'journal.sqlite'));
  });

  it('validates the production template: by-id ports, mqtts broker with TLS files, a real fleet key', () => {
    const config = loadConfigFile(join(repo, 'seeds', 'kiosk.example.yaml'));
    expect(config.devices.cashAcceptor.port).toMatch(/^\/dev\/serial\/by-id\/usb-JCM_.*-if00-port0$/);
    expect(config.fleet.broker.url).toBe('mqtts://fleet.example.net:8883');
    expect(config.fleet.broker.ca).toMatch(/^\/etc\/kioskd\/tls\//);
    expect(config.fleet.broker.cert).toMatch(/^\/etc\/kioskd\/tls\//);
    expect(config.fleet.broker.key).toMatch(/^\/etc\/kioskd\/tls\//);
    expect(config.currency.denominations).toEqual([100, 500, 1000, 2000, 5000, 10_000]);
    expect(config.fleet.commands.publicKeys).toHaveLength(1);
    const [entry] = config.fleet.commands.publicKeys;
    const reading = readEd25519PublicKey(entry!.key);
    expect(reading.ok && reading.key.asymmetricKeyType).toBe('ed25519');
  });
});
