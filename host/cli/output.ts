/** What the CLI prints: one paragraph per user error on stderr, JSON on stdout with --json. */
import { formatError } from '../errors.js';
import { masker } from '../secrets/masker.js';

export function printError(err: unknown, verbose: boolean): void {
  process.stderr.write(`${masker.mask(formatError(err, verbose))}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${masker.mask(JSON.stringify(value, null, 2))}\n`);
}

export function printLine(text: string): void {
  process.stderr.write(`${masker.mask(text)}\n`);
}

/** Worst exit code wins: 2 (failed) over 1 (warnings) over 0. */
export function worst(codes: number[]): number {
  return codes.reduce((a, b) => Math.max(a, b), 0);
}
