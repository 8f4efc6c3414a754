/** What every `obf-station` command is made of: its options, its usage line, and argument checks. */
import type { ParseArgsConfig } from 'node:util';
import { fromHex } from '../core/bytes.js';
import { ObfError } from '../core/index.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Options;
  /** Names for bare arguments, in order (`validate iccid VALUE`): each lands in `values` under its name. */
  positionals?: readonly string[];
  run(values: Values): Promise<number>;
}

/** A command with subcommands (`obf-station crypto milenage …`). */
export interface CommandGroup {
  summary: string;
  subcommands: Record<string, Command>;
}

export const jsonOption = { type: 'boolean', default: false } as const;

export function intOption(
  name: string,
  value: string | boolean | undefined,
  min: number,
  max: number,
): number {
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new ObfError(
      'VALIDATION',
      `--${name} must be a whole number from ${min} to ${max}; got "${String(value)}"`,
    );
  }
  return n;
}

/** A required hex argument of one of the given byte lengths; the message names the argument. */
export function hexOption(
  name: string,
  value: string | boolean | undefined,
  lengths: readonly number[],
): Uint8Array {
  if (typeof value !== 'string' || value === '')
    throw new ObfError('VALIDATION', `--${name} is required (hex)`);
  if (!/^[0-9a-fA-F]*$/.test(value))
    throw new ObfError('VALIDATION', `--${name} is not hex: "${value.slice(0, 40)}"`);
  if (value.length % 2 !== 0)
    throw new ObfError('VALIDATION', `--${name} has an odd number of hex digits (${value.length})`);
  const bytes = fromHex(value);
  if (!lengths.includes(bytes.length)) {
    const want = lengths.map((n) => `${n}`).join(' or ');
    throw new ObfError(
      'VALIDATION',
      `--${name} must be ${want} bytes (${lengths.map((n) => n * 2).join(' or ')} hex digits); got ${bytes.length}`,
    );
  }
  return bytes;
}

export function printResult(values: Values, data: unknown, text: string): void {
  process.stdout.write(values.json ? JSON.stringify(data) + '\n' : text + '\n');
}
