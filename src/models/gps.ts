/**
 * One Gradformer layer (a GraphGPS layer with the decayed attention):
 *   local  = BN1(dropout(MPNN(x)) + x)
 *   global = BN2(drop_path(dropout(attn(x))) + x)       (attention reads x, not the MPNN output)
 *   h      = local + global
 *   out    = BN3(h + FFN(h)),  FFN = Linear(C,2C), ReLU, Dropout, Linear(2C,C), Dropout  (keys mlp.0, mlp.3)
 */
import { GraphBatchNorm, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import * as ops from '../tensor/ops.js';
import type { UniformSource } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { DecayAttention } from './attention.js';
import type { LocalMpnn, MpnnInput } from './mpnn.js';

class FFN extends Module {
  readonly l0: Linear;
  readonly l3: Linear;
  constructor(channels: number, rng: UniformSource) {
    super();
    this.l0 = this.child('0', new Linear(channels, 2 * channels, rng));
    this.l3 = this.child('3', new Linear(2 * channels, channels, rng));
  }
}

export class GPSLayer extends Module {
  readonly conv: LocalMpnn;
  readonly attn: DecayAttention;
  readonly mlp: FFN;
  readonly norm1: GraphBatchNorm;
  readonly norm2: GraphBatchNorm;
  readonly norm3: GraphBatchNorm;
  constructor(channels: number, heads: number, conv: LocalMpnn,
    private readonly p: { dropout: number; attn_dropout: number; drop_prob: number },
    rng: UniformSource, private readonly dropRng: UniformSource) {
    super();
    this.conv = this.child('conv', conv);
    this.attn = this.child('attn', new DecayAttention(channels, heads, p.attn_dropout, rng, dropRng));
    this.mlp = this.child('mlp', new FFN(channels, rng));
    this.norm1 = this.child('norm1', new GraphBatchNorm(channels));
    this.norm2 = this.child('norm2', new GraphBatchNorm(channels));
    this.norm3 = this.child('norm3', new GraphBatchNorm(channels));
  }

  forward(inp: MpnnInput, mask: Tensor, graphPtr: Int32Array, keepProbs = false): Tensor {
    const { x } = inp;
    const drop = (t: Tensor) => ops.dropout(t, this.p.dropout, this.training, this.dropRng);
    // Without dropout (ZINC's preset; any evaluation) each skip connection's add is done
    // in the store of the product before it (ops.linear's residual): the same values,
    // one pass, buffer and tape node less each.
    const plain = this.p.dropout === 0 || !this.training;
    const local = this.norm1.forward(plain ? this.conv.forward(inp, x) : ops.add(drop(this.conv.forward(inp)), x));
    // h = local + global: the add is done in BN2's store (its addend), the same values.
    let h: Tensor;
    if (plain && this.p.drop_prob === 0) h = this.norm2.forward(this.attn.forward(x, mask, graphPtr, keepProbs, x), local);
    else {
      let g = drop(this.attn.forward(x, mask, graphPtr, keepProbs));
      g = ops.dropPath(g, this.p.drop_prob, this.dropRng);
      h = this.norm2.forward(ops.add(g, x), local);
    }
    const f = drop(this.mlp.l0.forward(h, true)); // Linear + ReLU in one op
    return this.norm3.forward(plain ? this.mlp.l3.forward(f, false, h) : ops.add(h, drop(this.mlp.l3.forward(f))));
  }
}
