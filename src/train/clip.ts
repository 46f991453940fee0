/**
 * Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_:
 * total = sqrt(sum of squares of every gradient); when total > maxNorm every
 * gradient is scaled by maxNorm / (total + 1e-6).
 *
 * Official quirk: main.py calls clip_grad_norm_ after zero_grad() and BEFORE
 * loss.backward(), on empty gradients, so it never changes anything. The trainer
 * reproduces that by default (`clip_effective: false`) and only calls this after
 * backward when asked (`--fix-grad-clip`).
 */
import type { Tensor } from '../tensor/tensor.js';

/** Clips in place (on the parameters' device); returns the total norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) { const g = p.gradStorage; if (g) sq += p.device.kernels().sumSquares(g); }
  const total = Math.sqrt(sq);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      const g = p.gradStorage;
      if (g) p.device.kernels().unary('scale', g, g, coef);
    }
  }
  return total;
}
