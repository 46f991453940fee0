/**
 * Mean and population standard deviation (numpy's np.std default, as the
 * paper's tables) of the finite values of `xs`; `n` counts them, so a caller
 * can say when a run's metric was missing or non-finite instead of hiding it.
 */
export function meanStd(xs: readonly (number | null)[]): { mean: number; std: number; n: number } {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, n: v.length };
}
