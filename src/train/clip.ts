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
import { kernels } from '../tensor/active.js';
import type { Tensor } from '../tensor/tensor.js';

/** Clips in place; returns the total norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  const K = kernels();
  let sq = 0;
  for (const p of params) if (p.grad) sq += K.sumSquares(p.grad);
  const total = Math.sqrt(sq);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      K.unary('scale', p.grad, p.grad, coef);
    }
  }
  return total;
}
