/**
 * Gradformer's attention: the exponential-decay mask and the multi-head
 * attention that multiplies its scores by it, computed graph by graph (ragged).
 */
import { Linear } from '../nn/layers.js';
import { Module, ModuleList } from '../nn/module.js';
import * as ops from '../tensor/ops.js';
import type { UniformSource } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';

/** Constant layout data for a batch's decay mask, built once per batch. */
export interface MaskLayout {
  /** [H * sum n_b^2] distances in mask layout (per graph [H, n_b, n_b] blocks). */
  dist: Tensor;
  /** [H * sum n_b^2] head id of every mask entry (to gather the per-head hop). */
  head: Int32Array;
}

/**
 * Expands packed distance blocks (graph b's [n_b, n_b] block at spdPtr[b]) to the
 * mask layout [H, n_b, n_b] per graph.
 */
export function maskLayout(spd: Uint16Array, spdPtr: Int32Array, heads: number): MaskLayout {
  const total = heads * spd.length;
  const dist = new Float32Array(total);
  const head = new Int32Array(total);
  let o = 0;
  for (let b = 0; b + 1 < spdPtr.length; b++) {
    const s = spdPtr[b], len = spdPtr[b + 1] - s;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < len; i++) dist[o + i] = spd[s + i];
      head.fill(h, o, o + len);
      o += len;
    }
  }
  return { dist: new Tensor(dist, [total, 1]), head };
}

/**
 * M = gamma ** leaky_relu(psi - hop_h, slope) in mask layout, with gradients to
 * `hop` [H, 1, 1] and, in the learnable-gamma variant, to `gammaLogit` [H, 1, 1]
 * (gamma_h = sigmoid(logit_h)). Unreachable pairs (psi = 510) underflow to exactly 0.
 */
export function decayMask(layout: MaskLayout, hop: Tensor, gamma: number, slope: number,
  gammaLogit: Tensor | null = null): Tensor {
  const H = hop.size;
  const hopPerEntry = ops.gatherRows(hop.reshape([H, 1]), layout.head);
  const e = ops.leakyRelu(ops.sub(layout.dist, hopPerEntry), slope);
  if (gammaLogit === null) return ops.powBase(gamma, e);
  // gamma_h ** e = exp(e * log(sigmoid(logit_h)))
  const logGamma = ops.log(ops.sigmoid(gammaLogit.reshape([H, 1])));
  return ops.exp(ops.mul(e, ops.gatherRows(logGamma, layout.head)));
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
  forward(x: Tensor, mask: Tensor, graphPtr: Int32Array, keepProbs = false): Tensor {
    const [lq, lk, lv, lo] = this.linears.items;
    const { out, probs } = ops.raggedAttention(lq.forward(x), lk.forward(x), lv.forward(x), mask, graphPtr, this.heads,
      { dropout: this.attnDropout, training: this.training, rng: this.dropRng });
    this.lastProbs = keepProbs ? probs : null;
    return lo.forward(out);
  }
}
