/** Argument parsers for commander options, with messages that say what is accepted. */
import { InvalidArgumentError } from 'commander';

export function intArg(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got '${v}'.`);
    return n;
  };
}

export function floatArg(min: number, max = Infinity, open = false, openMax = open) {
  return (v: string): number => {
    const n = Number(v);
    const ok = v.trim() !== '' && Number.isFinite(n) && (open ? n > min : n >= min) && (openMax ? n < max : n <= max);
    if (!ok) throw new InvalidArgumentError(`expected a number in ${open ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'}, got '${v}'.`);
    return n;
  };
}

/** --threads: a count >= 1, or auto. */
export function threadsArg(v: string): number | 'auto' {
  if (v.trim() === 'auto') return 'auto';
  try {
    return intArg(1)(v);
  } catch {
    throw new InvalidArgumentError(`expected a thread count >= 1 or auto, got '${v}'.`);
  }
}

/** Repeatable option collector. */
export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}
