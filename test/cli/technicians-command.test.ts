import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { verifyServicePassword } from '../../src/security/password-hash.js';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT } from '../helpers/cli-process.js';

async function technicians(args: string[], stdin: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'technicians', ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  child.stdin.end(stdin);
  const exit = await exitOf(child);
  return { ...exit, ...output };
}

describe('kioskd technicians hash', () => {
  it('prints a scrypt hash of the password read on stdin, which verifies', async () => {
    const result = await technicians(['hash', '--password-stdin'], 'field-tech-pass\n');
    expect(result.code, result.stderr).toBe(0);
    const hash = result.stdout.trim();
    expect(hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(await verifyServicePassword(Buffer.from('field-tech-pass'), hash)).toBe(true);
    expect(await verifyServicePassword(Buffer.from('field-tech-pas'), hash)).toBe(false);
  }, 30_000);

  it('never takes the password from the command line, and refuses a short one', async () => {
    const argv = await technicians(['hash', '--password', 'field-tech-pass'], '');
    expect(argv.code).toBe(2);
    expect(argv.stderr).toContain('--password');
    const missing = await technicians(['hash'], 'field-tech-pass\n');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing --password-stdin');
    const short = await technicians(['hash', '--password-stdin'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('8 to 128 bytes');
    expect(short.stdout).toBe('');
  }, 30_000);
});
