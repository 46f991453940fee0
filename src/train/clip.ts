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
import { Tensor } from '../tensor/tensor.js';

/**
 * Clips in place, on the parameters' device; returns the total norm before clipping
 * as a scalar tensor there (as PyTorch does: `.item()` reads it). The total stays on
 * the device and the scale is computed there (sumSquaresAdd, clipScale), so on a GPU
 * clipping reads nothing back.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): Tensor {
  const withGrad = params.filter((p) => p.gradStorage !== null);
  if (withGrad.length === 0) return Tensor.scalar(0);
  const D = withGrad[0].device, K = D.kernels();
  const acc = D.array('f64', 1);
  for (const p of withGrad) K.sumSquaresAdd(p.gradStorage!, acc);
  const norm = D.name === 'cpu' ? new Float32Array(1) : D.take(1, false);
  withGrad.forEach((p, i) => K.clipScale(acc, maxNorm, p.gradStorage!, i === 0 ? norm : null));
  return new Tensor(norm, []);
}
