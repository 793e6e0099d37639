import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

describe('config defaults', () => {
  it('fills every missing section with its defaults', () => {
    const config = parseConfig({ kioskId: 'k-1' }, 'test');
    expect(config.log).toEqual({ level: 'info', byteTrace: false });
    expect(config.dataDir).toBe('./var');
    expect(config.currency).toEqual({
      code: 'CNY',
      minorUnitsPerMajor: 100,
      denominations: [100, 500, 1000, 2000, 5000, 10_000],
    });
    expect(config.devices.cashAcceptor).toEqual({
      port: 'sim:id003',
      protocol: 'id003',
      pollIntervalMs: 150,
      answerTimeoutMs: 300,
      retries: 3,
      silenceTimeoutMs: 2000,
      stackCommand: 'stack2',
      escrowHoldMs: 0,
      reconnect: { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2, jitter: 0.3 },
    });
    expect(config.devices.printer.enabled).toBe(false);
    expect(config.devices.printer.port).toBe('sim:escpos');
    expect(config.devices.pinPad.enabled).toBe(false);
    expect(config.devices.pinPad.port).toBe('sim:epp');
    expect(config.limits).toEqual({
      maxPerTransaction: 200_000,
      maxPerAccountPerDay: 500_000,
      maxNotesPerTransaction: 30,
    });
    expect(config.transaction).toEqual({
      accountEntryTimeoutMs: 120_000,
      accountCheck: { enabled: false, timeoutMs: 3000, offlinePolicy: 'accept' },
      idleCompleteAfterMs: 60_000,
      confirmTimeoutMs: 30_000,
    });
    expect(config.api).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.fleet.enabled).toBe(true);
    expect(config.fleet.broker).toEqual({ url: 'embedded', protocolVersion: 5, maxPacketBytes: 262_144 });
    expect(config.fleet.embeddedBroker).toEqual({ host: '127.0.0.1', port: 1883, maxPacketBytes: 262_144 });
    expect(config.fleet.topicPrefix).toBe('kiosk/v1');
    expect(config.fleet.outbox).toEqual({ maxInFlight: 1000, resendAfterMs: 15_000 });
    expect(config.fleet.reconnect).toEqual({
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      factor: 2,
      jitter: 0.5,
    });
    expect(config.fleet.commands).toEqual({
      publicKeys: [],
      maxClockSkewMs: 120_000,
      maxPayloadBytes: 16_384,
    });
    expect(config.service).toEqual({});
  });

  it('derives the journal path from dataDir, and keeps one given explicitly', () => {
    expect(parseConfig({ kioskId: 'k' }, 't').journal.path).toBe(join('var', 'journal.sqlite'));
    expect(parseConfig({ kioskId: 'k', dataDir: '/srv/kiosk' }, 't').journal.path).toBe(
      '/srv/kiosk/journal.sqlite',
    );
    expect(parseConfig({ kioskId: 'k', journal: { path: '/data/j.db' } }, 't').journal.path).toBe(
      '/data/j.db',
    );
  });

  it('fills defaults inside a section that is only partly written', () => {
    const config = parseConfig(
      { kioskId: 'k', devices: { cashAcceptor: { pollIntervalMs: 100, reconnect: { factor: 1.5 } } } },
      't',
    );
    expect(config.devices.cashAcceptor.pollIntervalMs).toBe(100);
    expect(config.devices.cashAcceptor.answerTimeoutMs).toBe(300);
    expect(config.devices.cashAcceptor.reconnect).toEqual({
      initialDelayMs: 250,
      maxDelayMs: 10_000,
      factor: 1.5,
      jitter: 0.3,
    });
  });

  it('does not change the input it validates', () => {
    const raw = { kioskId: 'k', devices: { cashAcceptor: { port: 'COM4' } } };
    const before = structuredClone(raw);
    parseConfig(raw, 't');
    expect(raw).toEqual(before);
  });
});
