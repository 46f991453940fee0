/**
 * The timing pieces the kernel benchmarks share: CPU time per call, the median of
 * interleaved rounds, a call count that lasts long enough to time, and a bit-for-bit
 * comparison of two builds' outputs (the benchmarks compare builds that must agree).
 */

/** CPU microseconds per call of f over `inner` calls (user + system: a loaded machine's waits do not count). */
export function cpuUs(f: () => void, inner: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < inner; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / inner;
}

/** The middle value (the upper one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A power of two of calls of f that lasts at least `ms` milliseconds (f runs while it is found). */
export function callsLasting(f: () => void, ms = 20): number {
  let inner = 1;
  for (let t0 = performance.now(); performance.now() - t0 < ms; inner *= 2) for (let i = 0; i < inner; i++) f();
  return inner;
}

/** Whether two arrays hold the same bytes (NaN payloads and -0 included). */
export const sameBits = (p: Float32Array, q: Float32Array): boolean =>
  Buffer.compare(Buffer.from(p.buffer, p.byteOffset, p.byteLength), Buffer.from(q.buffer, q.byteOffset, q.byteLength)) === 0;
