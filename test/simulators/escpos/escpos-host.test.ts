import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeRealtimeStatus,
  encodeDocument,
  PrinterInboundParser,
  realtimeStatusRequest,
} from '../../../devices/printer/escpos/codec/index.js';
import type { ReceiptView } from '../../../simulators/escpos/virtual-paper.js';
import { ManualClock } from '../../../simulators/harness/manual-clock.js';
import { openPtyPair } from '../../../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../../../simulators/harness/serial-endpoint.js';
import { createSimulatorHost } from '../../../simulators/registry.js';
import { silentLogger } from '../../../src/log.js';
import { requireTool } from '../../helpers/require-tool.js';
import { ASB_ALL, SAMPLE_LINES, SAMPLE_RECEIPT } from './printer-rig.js';

/** 10 bits a byte at 9600 8N1. */
const BYTE_MS = 10 / 9.6;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function receiptsOf(host: { control(c: unknown): unknown }): ReceiptView[] {
  return (host.control({ action: 'paper.receipts' }) as { receipts: ReceiptView[] }).receipts;
}

describe('escpos simulator behind the SimulatorHost', () => {
  it('is found by kind; a DLE EOT answer takes wire time in, the turn-around and wire time out', () => {
    const clock = new ManualClock(1000);
    const host = createSimulatorHost('escpos', { clock, seed: 1, model: { timingPreset: 'fast' } });
    cleanups.push(() => host.close());
    const parser = new PrinterInboundParser();
    const got: Array<{ at: number; byte: number }> = [];
    host.onToHost((bytes) => {
      for (const m of parser.push(bytes))
        if (m.kind === 'realtime') got.push({ at: clock.now(), byte: m.byte });
    });
    parser.expectReply(1);
    host.fromHost(realtimeStatusRequest(1));
    clock.advanceBy(50);
    expect(got).toHaveLength(1);
    expect(decodeRealtimeStatus(1, got[0]!.byte)).toEqual({ offline: false });
    expect(got[0]!.at - 1000).toBeCloseTo(3 * BYTE_MS + 1 + BYTE_MS, 6);
  });

  it('prints a receipt in wire time plus mechanism time, and cuts it', () => {
    const clock = new ManualClock(0);
    const host = createSimulatorHost('escpos', { clock, seed: 1 });
    cleanups.push(() => host.close());
    const bytes = encodeDocument(SAMPLE_RECEIPT, { columns: 48 });
    const wireMs = bytes.length * BYTE_MS;
    host.fromHost(bytes);
    clock.advanceBy(wireMs - 1);
    expect(receiptsOf(host)).toEqual([]);
    clock.advanceBy(10_000);
    const [receipt] = receiptsOf(host);
    expect(receipt).toMatchObject({ lines: SAMPLE_LINES, qr: ['PAY-2026-000123'], cut: true });
    // The realistic mechanism, 200 mm/s: a double line 7.5 mm and five lines of 3.75 mm; the QR
    // (15 bytes at M: version 2, 25 modules + 8 of quiet zone, 6 dots each, 8 dots/mm) 24.75 mm;
    // three feed lines 11.25 mm; 14 mm to the cutter: 76.25 mm in 381.25 ms, and a 300 ms cut.
    expect(receipt!.endedAt! - wireMs).toBeCloseTo(381.25 + 300, 6);
    expect((host.snapshot().model as { printing: boolean }).printing).toBe(false);
  });
});

async function openHostSide(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (port.isOpen) port.close(() => resolve());
        else resolve();
      }),
  );
  return port;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('escpos simulator over a real pty', () => {
  it('prints what a serial port writes, and pushes ASB when the cover opens', async () => {
    requireTool('socat');
    const pair = await openPtyPair();
    cleanups.push(() => pair.close());
    const host = createSimulatorHost('escpos', { seed: 1, model: { timingPreset: 'fast' } });
    cleanups.push(() => host.close());
    const endpoint = await attachToSerialPath(host, pair.devicePath, silentLogger());
    cleanups.push(() => endpoint.close());
    const port = await openHostSide(pair.hostPath);
    const parser = new PrinterInboundParser();
    const asb: Uint8Array[] = [];
    port.on('data', (chunk: Buffer) => {
      for (const m of parser.push(new Uint8Array(chunk))) if (m.kind === 'asb') asb.push(m.message);
    });

    port.write(Buffer.from(ASB_ALL));
    await until('the first ASB message', () => (asb.length >= 1 ? true : undefined));
    expect([...asb[0]!]).toEqual([0x10, 0, 0, 0]);

    port.write(Buffer.from(encodeDocument(SAMPLE_RECEIPT, { columns: 48 })));
    const receipt = await until('the cut receipt', () => receiptsOf(host).find((r) => r.cut));
    expect(receipt.lines).toEqual(SAMPLE_LINES);
    expect(receipt.qr).toEqual(['PAY-2026-000123']);

    host.control({ action: 'cover.open' });
    await until('the cover-open ASB', () => (asb.length >= 2 ? true : undefined));
    expect([...asb[1]!]).toEqual([0x10 | 0x08 | 0x20, 0, 0, 0]);
  });
});
