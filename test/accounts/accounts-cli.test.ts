import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AccountStore } from '../../src/accounts/account-store.js';
import { main } from '../../src/cli/main.js';
import { verifyServicePassword } from '../../src/security/password-hash.js';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT, waitForJsonLine } from '../helpers/cli-process.js';
import { AES_BDK, DEMO_PASSWORD_HASH, scratch, TDES_BDK, TOKEN } from './account-test-kit.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

async function run(argv: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

/** The CLI in a child process with `stdin` written to its standard input. */
async function runWithStdin(argv: string[], stdin: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...argv], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  child.stdin.end(stdin);
  const exit = await exitOf(child);
  return { ...exit, ...output };
}

describe('kioskd accounts: arguments', () => {
  it.each([
    [[], 'accounts: missing subcommand'],
    [['frobnicate'], 'accounts: unknown subcommand "frobnicate"'],
    [['serve'], 'accounts serve: missing --config FILE'],
    [
      ['serve', '--config', 'x.yaml', '--port', '70000'],
      'accounts serve: --port expects an integer from 0 to 65535',
    ],
    [['add'], 'accounts add: missing account'],
    [
      ['add', '12345', '--db', 'x.sqlite'],
      'accounts add: "12345" is not an 11-digit mainland China mobile number',
    ],
    [['add', '13800138000', '--db', 'x.sqlite'], 'accounts add: missing --balance FEN'],
    [
      ['add', '13800138000', '--balance', '5.5', '--db', 'x.sqlite'],
      'accounts add: --balance expects an integer',
    ],
    [['add', '13800138000', '--balance', '5'], 'accounts add: missing --db PATH or --config FILE'],
    [['add', '13800138000', '--password', '246810'], "accounts add: Unknown option '--password'"],
    [['show', '13800138000', 'extra'], 'accounts show: unexpected argument "extra"'],
    [['hash-password'], 'accounts hash-password: missing --password-stdin'],
    [['show', '13800138000', '--config', 'missing.yaml'], 'accounts show: missing.yaml:'],
  ])('%j is refused in one line, exit 2', async (argv, message) => {
    const { status, err, out } = await run(['accounts', ...argv]);
    expect(status).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(`kioskd ${message}`);
    expect(out).toEqual([]);
  });

  it('prints help for each subcommand', async () => {
    for (const sub of ['serve', 'add', 'set-password', 'unlock', 'show', 'hash-password']) {
      const { status, out } = await run(['accounts', sub, '--help']);
      expect(status).toBe(0);
      expect(out.join('\n')).toMatch(new RegExp(`^Usage: kioskd accounts ${sub}`));
    }
  });
});

describe('kioskd accounts: the operator commands', () => {
  it('adds an account with a hashed password read from stdin, shows, locks out, unlocks, changes it', async () => {
    const dir = scratch('cli');
    dirs.push(dir);
    const db = join(dir.path, 'accounts.sqlite');
    const added = await runWithStdin(
      ['accounts', 'add', '13900139000', '--balance', '850', '--db', db, '--password-stdin'],
      '135790\n',
    );
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ account: '13900139000', balanceFen: 850 });
    let store = AccountStore.open(db);
    const hash = store.get('13900139000')!.passwordHash;
    expect(hash).not.toContain('135790');
    expect(await verifyServicePassword(Buffer.from('135790'), hash)).toBe(true);
    store.recordWrongTry('13900139000', 1, '2099-01-01T00:00:00.000Z');
    store.close();

    const again = await runWithStdin(
      ['accounts', 'add', '13900139000', '--balance', '1', '--db', db, '--password-stdin'],
      '111111\n',
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');

    const shown = await run(['accounts', 'show', '13900139000', '--db', db]);
    expect(JSON.parse(shown.out[0]!)).toEqual({
      account: '13900139000',
      balanceFen: 850,
      wrongTries: 0,
      lockedUntil: '2099-01-01T00:00:00.000Z',
    });
    const unlocked = await run(['accounts', 'unlock', '13900139000', '--db', db]);
    expect(JSON.parse(unlocked.out[0]!)).toMatchObject({ lockedUntil: null, wrongTries: 0 });

    const short = await runWithStdin(
      ['accounts', 'set-password', '13900139000', '--db', db, '--password-stdin'],
      '1234\n',
    );
    expect(short.code).toBe(2);
    expect(short.stderr.trim()).toBe(
      'kioskd accounts set-password: the service password must be 6 to 12 digits (see kioskd accounts --help)',
    );
    const changed = await runWithStdin(
      ['accounts', 'set-password', '13900139000', '--db', db, '--password-stdin'],
      '975310',
    );
    expect(changed.code).toBe(0);
    store = AccountStore.open(db);
    expect(await verifyServicePassword(Buffer.from('975310'), store.get('13900139000')!.passwordHash)).toBe(
      true,
    );
    store.close();

    const missing = await run(['accounts', 'show', '13900000000', '--db', db]);
    expect(missing.status).toBe(1);
    expect(missing.err).toEqual(['kioskd accounts show: no account 13900000000']);
  }, 60_000);

  it('hash-password prints a hash that checks', async () => {
    const hashed = await runWithStdin(['accounts', 'hash-password', '--password-stdin'], '246810\n');
    expect(hashed.code).toBe(0);
    const hash = hashed.stdout.trim();
    expect(hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(await verifyServicePassword(Buffer.from('246810'), hash)).toBe(true);
  }, 30_000);

  it('serve listens, seeds the config accounts and stops on SIGTERM', async () => {
    const dir = scratch('serve');
    dirs.push(dir);
    const config = join(dir.path, 'accounts.yaml');
    writeFileSync(
      config,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        token: TOKEN,
        db: join(dir.path, 'accounts.sqlite'),
        hsm: { tdesBdk: TDES_BDK, aesBdk: AES_BDK },
        accounts: [{ account: '13800138000', balanceFen: 100, passwordHash: DEMO_PASSWORD_HASH }],
      }),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI_ENTRY, 'accounts', 'serve', '--config', config],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const up = await waitForJsonLine(child, (line) => line['msg'] === 'account service up', 20_000);
    expect(up).toMatchObject({ accounts: 1 });
    expect(String(up['url'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  }, 30_000);
});
