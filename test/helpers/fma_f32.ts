// Float32 arithmetic as the C kernels do it, for tests that pin their bits: a * b + c
// rounded once (a fused multiply-add) or twice (unfused), in TypeScript, which has no fma.

/**
 * fma(a, b, c) in float32, rounded once (round to nearest, ties to even). a * b of two
 * floats is exact in double; the double sum p + c can round, and rounding that to float
 * again is wrong only when it lands exactly halfway between two floats: then the exact
 * sum's error term (TwoSum) says on which side the true value lies.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b, s = p + c;
  const f = Math.fround(s);
  if (!Number.isFinite(f) || f === s) return f;
  const bb = s - p, err = (p - (s - bb)) + (c - bb);
  if (err === 0) return f;
  const other = 2 * s - f; // the float on s's other side when s is a midpoint
  if (Math.fround(other) !== other || other === f) return f;
  return Math.sign(err) === Math.sign(other - s) ? other : f;
}

/** a * b + c in float32 with the product rounded first (no FMA). */
export function mulAddF32(a: number, b: number, c: number): number {
  return Math.fround(Math.fround(a * b) + c);
}
