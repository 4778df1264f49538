/**
 * @module
 * The command line, read with node:util's parseArgs: global options may come
 * before or after the command's name, anything unknown is a usage error
 * (exit 2) rather than being ignored.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Wrong input on the command line: exit code 2, with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Options every command takes. */
export const globalOptions = {
  transport: { type: 'string', short: 't' },
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} satisfies OptionSpecs;

/** The first argument that is neither an option nor a global option's value: the command's name. */
export function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const takesValue = new Set(['--transport', '-t', '--namespace', '-n']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (takesValue.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: [...argv] };
}

export function parse(args: string[], options: OptionSpecs, maxPositionals: number): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...globalOptions, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs names the option and what is wrong with it; its error codes are ERR_PARSE_ARGS_*.
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length > maxPositionals)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  return parsed;
}

/** A whole number option within bounds, or its default. */
export function wholeNumber(values: Values, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a duration back from now (`30m`, `2h`, `7d`) or a date (`2026-12-01`, an ISO time); epoch milliseconds. */
export function sinceOption(raw: string, now: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(raw.trim());
  if (m) return now - Number(m[1]) * units[m[2]];
  const at = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(at))
    throw new UsageError(`--since ${JSON.stringify(raw)} is neither a duration (30m, 2h, 7d) nor a date (2026-12-01T09:00Z)`);
  return at;
}
