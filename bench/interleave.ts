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

/**
 * Runs fwd then bwd once on every build, reports (one line each, prefixed with `bench`) the
 * outputs whose bits differ from the first build's, then times both in `rounds` interleaved
 * rounds (every build once a round, so load changes hit all alike). Returns each build's
 * median CPU microseconds per call, and the calls per timing.
 */
export function forwardBackwardPairs<O extends object>(
  bench: string, paths: string[], outs: O[], fwd: (a: number) => void, bwd: (a: number) => void, rounds: number,
): { inner: number; forwardUs: number[]; backwardUs: number[] } {
  for (let a = 0; a < outs.length; a++) { fwd(a); bwd(a); }
  for (let a = 1; a < outs.length; a++)
    for (const key of Object.keys(outs[0]) as (keyof O & string)[])
      if (!sameBits(outs[0][key] as Float32Array, outs[a][key] as Float32Array)) console.log(`${bench}: ${key} of ${paths[a]} differs from ${paths[0]}'s`);
  const inner = callsLasting(() => fwd(0));
  const fw: number[][] = outs.map(() => []), bw: number[][] = outs.map(() => []);
  for (let rd = 0; rd < rounds; rd++)
    for (let a = 0; a < outs.length; a++) {
      fw[a].push(cpuUs(() => fwd(a), inner));
      bw[a].push(cpuUs(() => bwd(a), inner));
    }
  return { inner, forwardUs: fw.map(median), backwardUs: bw.map(median) };
}
