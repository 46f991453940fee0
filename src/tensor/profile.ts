/**
 * Kernel profiling: wraps the active backend so that every kernel call is timed
 * (wall clock, performance.now) and counted, keyed by kernel name and, for the
 * element-wise families, by op and broadcast ('binaryBackward add/row').
 * Used by `bench/train.ts`; costs ~0.1 us per call while enabled, nothing otherwise.
 */
import type { Kernels } from './kernels.js';
import { kernels, useKernels } from './backend.js';

export interface KernelStat { calls: number; ms: number }

/** Calls and milliseconds per kernel key since the profiler was started or reset. */
export class KernelProfile {
  readonly stats = new Map<string, KernelStat>();
  reset(): void { this.stats.clear(); }
  add(key: string, ms: number): void {
    const s = this.stats.get(key);
    if (s) { s.calls++; s.ms += ms; } else this.stats.set(key, { calls: 1, ms });
  }
  /** Total kernel milliseconds. */
  total(): number { let t = 0; for (const s of this.stats.values()) t += s.ms; return t; }
  /** Rows sorted by time, largest first. */
  rows(): { kernel: string; calls: number; ms: number }[] {
    return [...this.stats.entries()].map(([kernel, s]) => ({ kernel, calls: s.calls, ms: s.ms })).sort((a, b) => b.ms - a.ms);
  }
}

/** First-argument-keyed families: the op name (and broadcast) is part of the key. */
const KEYED: Record<string, (args: unknown[]) => string> = {
  binary: (a) => `${a[0]}/${a[6]}`,
  binaryBackward: (a) => `${a[0]}/${a[8]}`,
  unary: (a) => String(a[0]),
  unaryBackward: (a) => String(a[0]),
  segmentReduce: (a) => String(a[0]),
  segmentReduceBackward: (a) => String(a[0]),
  fused: (a) => String(a[0]),
  fusedBackward: (a) => String(a[0]),
};

/**
 * Installs a timing wrapper around the active kernels and returns its profile;
 * `stop()` restores the unwrapped kernels.
 */
export function startKernelProfile(): { profile: KernelProfile; stop: () => void } {
  const inner = kernels();
  const profile = new KernelProfile();
  const wrapped: Record<string, unknown> = { name: inner.name };
  for (const key of Object.keys(inner) as (keyof Kernels)[]) {
    const f = inner[key];
    if (typeof f !== 'function' || key === 'setThreads' || key === 'getThreads') {
      wrapped[key] = typeof f === 'function' ? (f as (...a: unknown[]) => unknown).bind(inner) : f;
      continue;
    }
    const keyer = KEYED[key];
    wrapped[key] = (...args: unknown[]) => {
      const t0 = performance.now();
      const r = (f as (...a: unknown[]) => unknown).apply(inner, args);
      profile.add(keyer ? `${key} ${keyer(args)}` : key, performance.now() - t0);
      return r;
    };
  }
  useKernels(wrapped as unknown as Kernels);
  return { profile, stop: () => useKernels(inner) };
}
