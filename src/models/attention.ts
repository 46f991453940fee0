/**
 * Gradformer's attention: the exponential-decay mask and the multi-head
 * attention that multiplies its scores by it, computed graph by graph (ragged).
 */
import { Linear } from '../nn/layers.js';
import { Module, ModuleList } from '../nn/module.js';
import * as ops from '../tensor/ops.js';
import type { UniformSource } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';

/** A batch's packed distances, as the decay mask reads them. */
export interface MaskLayout {
  /** Packed distance blocks: graph b's [n_b, n_b] block is spd[spdPtr[b] .. spdPtr[b+1]). */
  spd: Uint16Array;
  /** [B+1] block offsets into spd. */
  spdPtr: Int32Array;
  heads: number;
  /** Largest distance + 1 (the per-head value table's width). */
  D: number;
}

/**
 * Describes the mask layout [H, n_b, n_b] per graph over packed distance blocks
 * (graph b's [n_b, n_b] block at spdPtr[b]); nothing is expanded here (the fused
 * decayMask kernel reads the distances directly).
 */
export function maskLayout(spd: Uint16Array, spdPtr: Int32Array, heads: number): MaskLayout {
  let max = 0;
  for (let i = 0; i < spd.length; i++) if (spd[i] > max) max = spd[i];
  return { spd, spdPtr, heads, D: max + 1 };
}

/**
 * M = gamma ** leaky_relu(psi - hop_h, slope) in mask layout [H * sum n_b^2, 1], with
 * gradients to `hop` [H, 1, 1] and, in the learnable-gamma variant, to `gammaLogit`
 * [H, 1, 1] (gamma_h = sigmoid(logit_h)). Unreachable pairs (psi = 510) underflow to
 * exactly 0. One fused kernel (ops.decayMask); values equal the unfused chain's.
 */
export function decayMask(layout: MaskLayout, hop: Tensor, gamma: number, slope: number,
  gammaLogit: Tensor | null = null): Tensor {
  const H = hop.size;
  if (H !== layout.heads) throw new Error(`decayMask: hop has ${H} values, the layout ${layout.heads} heads`);
  if (gammaLogit === null) return ops.decayMask(layout.spd, layout.spdPtr, layout.D, hop, gamma, slope);
  // gamma_h ** e = exp(e * log(sigmoid(logit_h)))
  const logGamma = ops.log(ops.sigmoid(gammaLogit.reshape([H, 1])));
  return ops.decayMask(layout.spd, layout.spdPtr, layout.D, hop, gamma, slope, logGamma);
}

/**
 * Multi-head attention (official keys linears.0/1/2 = Q/K/V, linears.3 = output).
 * x [N, C] -> [N, C]; scores (q.k / sqrt(d_k)) * M, softmax over the nodes of the
 * same graph, attention dropout, weighted sum of v, output projection.
 */
export class DecayAttention extends Module {
  readonly linears: ModuleList<Linear>;
  /** Probabilities of the last forward (mask layout), kept for inspection (reports). */
  lastProbs: Float32Array | null = null;
  constructor(readonly channels: number, readonly heads: number, readonly attnDropout: number,
    rng: UniformSource, private readonly dropRng: UniformSource) {
    super();
    this.linears = this.child('linears', new ModuleList<Linear>());
    // The official code deep-copies one Linear four times: Q, K, V and O start identical.
    const proto = new Linear(channels, channels, rng);
    for (let i = 0; i < 4; i++) {
      const l = this.linears.push(new Linear(channels, channels, rng));
      l.weight.data.set(proto.weight.data);
      l.bias!.data.set(proto.bias!.data);
    }
  }
  /** With `residual` [N, C], the output plus residual (added in the output projection's op). */
  forward(x: Tensor, mask: Tensor, graphPtr: Int32Array, keepProbs = false, residual: Tensor | null = null): Tensor {
    const [lq, lk, lv, lo] = this.linears.items;
    const { out, probs } = ops.raggedAttention(lq.forward(x), lk.forward(x), lv.forward(x), mask, graphPtr, this.heads,
      { dropout: this.attnDropout, training: this.training, rng: this.dropRng, keepProbs });
    this.lastProbs = keepProbs ? x.device.toHost(probs) : null; // read on the host (reports)
    return lo.forward(out, false, residual);
  }
}
