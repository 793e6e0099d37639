/** One `kioskd` subcommand. `run` resolves to the process exit status. */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** A subcommand as `kioskd --help` lists it; its module is loaded only when it runs. */
export interface CliCommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
