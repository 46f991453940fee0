/**
 * The benchmarks' command lines, parsed once, the same way: node:util's parseArgs,
 * strict, so an unknown option, a flag given a value or an option without one is
 * an error line naming the benchmark (not silently ignored, which measured the
 * wrong thing). Values are strings; `num` checks a positive number.
 */
import { parseArgs } from 'node:util';

export interface BenchArgs {
  /** `--name VALUE`, or `dflt`. */
  str(name: string, dflt?: string): string | undefined;
  /** Whether `--name` was given. */
  flag(name: string): boolean;
  /** `--name N` as a positive number (>= 1; an integer where `integer`), or `dflt`. */
  num(name: string, dflt?: number, integer?: boolean): number | undefined;
}

/**
 * Parses `argv` (default: this process's) for the benchmark `bench` (e.g. 'bench:train'),
 * which takes the options `strings` (with a value) and `flags` (without); names without '--'.
 */
export function benchArgs(bench: string, spec: { strings?: string[]; flags?: string[] }, argv = process.argv.slice(2)): BenchArgs {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const n of spec.strings ?? []) options[n] = { type: 'string' };
  for (const n of spec.flags ?? []) options[n] = { type: 'boolean' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    const known = Object.keys(options).map((n) => `--${n}`).join(', ') || 'none';
    throw new Error(`${bench}: ${(e as Error).message.split('\n')[0]} (its options: ${known})`);
  }
  const str = (name: string, dflt?: string) => (values[name] as string | undefined) ?? dflt;
  return {
    str,
    flag: (name) => values[name] === true,
    num: (name, dflt, integer = false) => {
      const v = str(name);
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 1 || (integer && !Number.isInteger(n))) {
        throw new Error(`${bench}: --${name} needs a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
      }
      return n;
    },
  };
}
