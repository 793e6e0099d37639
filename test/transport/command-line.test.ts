import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { CommandLine, type LineRules } from '../../devices/transport/command-line.js';

/**
 * A made-up line protocol shaped like a PIN pad's: each frame is STX, one ASCII letter, ETX.
 * Commands are upper-case letters, answers the same letter in lower case; `?` means "garbled,
 * send again"; `K` frames are key presses the device sends unasked.
 */
type Command = { kind: 'ask' | 'dispense'; letter: string };
type Reply = { letter: string };
const STX = 0x02;
const ETX = 0x03;

class LetterParser {
  #buffer: number[] = [];
  push(chunk: Uint8Array): number[][] {
    const frames: number[][] = [];
    for (const byte of chunk) {
      if (byte === STX) this.#buffer = [];
      else if (byte === ETX) frames.push(this.#buffer.splice(0));
      else this.#buffer.push(byte);
    }
    return frames;
  }
  reset(): void {
    this.#buffer = [];
  }
}

const rules: LineRules<Command, number[], Reply> = {
  name: 'letters',
  describe: (command) => `${command.kind} ${command.letter}`,
  encode: (command) => Uint8Array.of(STX, command.letter.charCodeAt(0), ETX),
  createParser: () => new LetterParser(),
  decode: (frame) => ({ letter: String.fromCharCode(frame[0] ?? 0) }),
  answers: (command, reply) => reply.letter === '?' || reply.letter === command.letter.toLowerCase(),
  isGarbled: (reply) => reply.letter === '?',
  neverResendBlindly: (command) => command.kind === 'dispense',
};

const frame = (letter: string): Buffer => Buffer.from([STX, letter.charCodeAt(0), ETX]);

class FakeDevice extends EventEmitter {
  readonly written: string[] = [];
  constructor(
    private readonly reply: (letter: string, attempt: number) => string[] = (l) => [l.toLowerCase()],
  ) {
    super();
  }
  async write(bytes: Uint8Array): Promise<void> {
    const letter = String.fromCharCode(bytes[1] ?? 0);
    this.written.push(letter);
    const attempt = this.written.filter((l) => l === letter).length;
    const frames = this.reply(letter, attempt).map(frame);
    if (frames.length > 0) setImmediate(() => this.emit('data', Buffer.concat(frames)));
  }
}

function lineOn(
  device: FakeDevice,
  onUnsolicited?: (reply: Reply) => void,
): CommandLine<Command, number[], Reply> {
  const line = new CommandLine({
    port: device,
    rules,
    answerTimeoutMs: 200,
    retries: 2,
    logger: silentLogger(),
    ...(onUnsolicited ? { onUnsolicited: (reply: Reply) => onUnsolicited(reply) } : {}),
  });
  line.open();
  return line;
}

describe('CommandLine (generic request/answer line)', () => {
  it('hands frames nobody asked for to the unsolicited callback, and still answers the command', async () => {
    const keys: string[] = [];
    const device = new FakeDevice((letter) => ['K', letter.toLowerCase()]);
    const line = lineOn(device, (reply) => keys.push(reply.letter));
    const answer = await line.send({ kind: 'ask', letter: 'A' });
    expect(answer.reply).toEqual({ letter: 'a' });
    expect(keys).toEqual(['K']);
    device.emit('data', frame('K'));
    expect(keys).toEqual(['K', 'K']);
    expect(line.stats.unsolicited).toBe(2);
  });

  it('sends again on a garbled answer and counts the retry', async () => {
    const device = new FakeDevice((letter, attempt) => [attempt === 1 ? '?' : letter.toLowerCase()]);
    const answer = await lineOn(device).send({ kind: 'ask', letter: 'B' });
    expect(answer.attempts).toBe(2);
    expect(device.written).toEqual(['B', 'B']);
  });

  it('never resends a money-moving command after a timeout; retries others', async () => {
    const silent = new FakeDevice(() => []);
    await expect(lineOn(silent).send({ kind: 'dispense', letter: 'D' })).rejects.toMatchObject({
      code: ErrorCode.DeviceTimeout,
      details: { command: 'dispense D', attempts: 1 },
    });
    expect(silent.written).toEqual(['D']);
    const alsoSilent = new FakeDevice(() => []);
    await expect(lineOn(alsoSilent).send({ kind: 'ask', letter: 'E' })).rejects.toMatchObject({
      code: ErrorCode.DeviceTimeout,
    });
    expect(alsoSilent.written).toEqual(['E', 'E', 'E']);
  });

  it('writes urgent commands before normal ones, and a poll only when nothing else waits', async () => {
    const device = new FakeDevice();
    const line = lineOn(device);
    const sent = [
      line.send({ kind: 'ask', letter: 'P' }, 'poll'),
      line.send({ kind: 'ask', letter: 'Q' }, 'poll'),
      line.send({ kind: 'ask', letter: 'N' }, 'normal'),
      line.send({ kind: 'ask', letter: 'U' }, 'urgent'),
    ];
    await Promise.all(sent);
    expect(device.written).toEqual(['P', 'U', 'N', 'Q']);
  });

  it('an unanswered write goes in turn and resolves with its write time', async () => {
    const device = new FakeDevice(() => []);
    const line = lineOn(device);
    const writtenAt = await line.sendUnanswered({ kind: 'ask', letter: 'W' }, 'urgent');
    expect(typeof writtenAt).toBe('number');
    expect(device.written).toEqual(['W']);
  });

  it('refuses commands while closed with the close error, and an unencodable command at once', async () => {
    const device = new FakeDevice();
    const line = lineOn(device);
    line.close(new (await import('../../core/errors.js')).KioskError(ErrorCode.DeviceOffline, 'gone'));
    await expect(line.send({ kind: 'ask', letter: 'A' })).rejects.toMatchObject({
      code: ErrorCode.DeviceOffline,
    });
    expect(device.written).toEqual([]);
  });
});
