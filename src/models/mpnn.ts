/**
 * Local message passing: GIN / GINE and GatedGCN, as the official model (PyG
 * semantics: edgeIndex row 0 = source j, row 1 = target i, messages j -> i summed at i).
 */
import { BatchNorm1d, Linear, MLP } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import * as ops from '../tensor/ops.js';
import type { UniformSource } from '../tensor/ops.js';
import { noGrad, Tensor } from '../tensor/tensor.js';

/** The edges of a packed batch split into source and target index arrays [E]. */
export interface EdgeLists {
  src: Int32Array;
  dst: Int32Array;
}

/** What every local layer receives. */
export interface MpnnInput {
  x: Tensor;               // [N, C]
  edges: EdgeLists;
  edgeAttr: Tensor | null; // [E, C] embedded edge features
  pe: Tensor | null;       // [N, pe] (after pe_norm), for GatedGCN's equivariant-stable gate
}

export interface LocalMpnn extends Module {
  /**
   * The layer's output, plus `residual` [N, C] when given (the GPS layer's skip
   * connection, with no dropout between): GIN adds it in its last product's store,
   * which saves the separate add (same values).
   */
  forward(inp: MpnnInput, residual?: Tensor | null): Tensor;
}

/**
 * GIN: nn((1+eps) x_i + sum_{j->i} x_j); with edge features (GINE):
 * nn((1+eps) x_i + sum_{j->i} relu(x_j + e_ji)). nn = Linear, ReLU, Linear
 * (keys nn.0, nn.2); eps is a fixed buffer (0 in the official model).
 */
export class GINConv extends Module implements LocalMpnn {
  readonly eps: Tensor;
  readonly nn: MLP;
  constructor(channels: number, rng: UniformSource, readonly withEdges = false, eps = 0) {
    super();
    this.nn = this.child('nn', new MLP([channels, channels, channels], [0, 2], rng));
    this.eps = this.buffer('eps', Tensor.from([eps], [1]));
  }
  private epsSeen = { version: -1, value: 0 };
  /** eps on the host: read from the device only after a host write (load, move), not every step. */
  private epsValue(): number {
    if (this.eps.storage instanceof Float32Array) return this.eps.storage[0];
    if (this.epsSeen.version !== this.eps.hostVersion) this.epsSeen = { version: this.eps.hostVersion, value: this.eps.item() };
    return this.epsSeen.value;
  }
  forward({ x, edges, edgeAttr }: MpnnInput, residual: Tensor | null = null): Tensor {
    let agg: Tensor;
    if (this.withEdges) {
      if (!edgeAttr) throw new Error('GINEConv: needs edge features (edge_method embedding or ogb)');
      agg = ops.gineMessage(x, edgeAttr, edges.src, edges.dst, x.rows); // fused gather + add + relu + scatter
    } else {
      agg = ops.scatterAddRows(ops.gatherRows(x, edges.src), edges.dst, x.rows);
    }
    const eps = this.epsValue();
    // (1 + eps) x, skipping the multiply when eps is 0 (as it always is officially)
    return this.nn.forward(ops.add(agg, eps === 0 ? x : ops.scale(x, 1 + eps)), residual);
  }
}

/** The equivariant-stable PE gate of GatedGCN: Linear(1,C), ReLU, Linear(C,1), Sigmoid. */
class PeGate extends Module {
  readonly l0: Linear;
  readonly l2: Linear;
  constructor(channels: number, rng: UniformSource) {
    super();
    this.l0 = this.child('0', new Linear(1, channels, rng));
    this.l2 = this.child('2', new Linear(channels, 1, rng));
  }
  forward(r: Tensor): Tensor {
    return ops.sigmoid(this.l2.forward(this.l0.forward(r, true))); // Linear + ReLU in one op
  }
}

/**
 * Residual gated graph conv (official model/GateGCN.py), message at edge j -> i:
 *   g = D x_i + E x_j + C e;  s = sigmoid(g) (times the PE gate if enabled)
 *   u_i = A x_i + sum s * B x_j / (sum s + 1e-6)
 *   out = x + dropout(relu(bn_node_x(u)))        (residual)
 * bn_edge_e(g) is evaluated for its running statistics only; its output is discarded.
 */
export class GatedGCNLayer extends Module implements LocalMpnn {
  readonly A: Linear; readonly B: Linear; readonly C: Linear; readonly D: Linear; readonly E: Linear;
  readonly peGate: PeGate | null;
  readonly bnNodeX: BatchNorm1d;
  readonly bnEdgeE: BatchNorm1d;
  constructor(channels: number, rng: UniformSource,
    private readonly opts: { residual: boolean; equivstable_pe: boolean; dropout: number },
    private readonly dropRng: UniformSource) {
    super();
    this.A = this.child('A', new Linear(channels, channels, rng));
    this.B = this.child('B', new Linear(channels, channels, rng));
    this.C = this.child('C', new Linear(channels, channels, rng));
    this.D = this.child('D', new Linear(channels, channels, rng));
    this.E = this.child('E', new Linear(channels, channels, rng));
    this.peGate = opts.equivstable_pe ? this.child('mlp_r_ij', new PeGate(channels, rng)) : null;
    this.bnNodeX = this.child('bn_node_x', new BatchNorm1d(channels));
    this.bnEdgeE = this.child('bn_edge_e', new BatchNorm1d(channels));
  }
  forward({ x, edges, edgeAttr, pe }: MpnnInput, residual: Tensor | null = null): Tensor {
    if (!edgeAttr) throw new Error('GatedGCNLayer: needs edge features (edge_method embedding or ogb)');
    const { src, dst } = edges;
    const Ax = this.A.forward(x), Bx = this.B.forward(x), Ce = this.C.forward(edgeAttr);
    const Dx = this.D.forward(x), Ex = this.E.forward(x);
    let gate: Tensor | null = null;
    if (this.peGate) {
      if (!pe) throw new Error('GatedGCNLayer: equivstable_pe needs the positional encoding');
      const diff = ops.sub(ops.gatherRows(pe, dst), ops.gatherRows(pe, src));
      const r = ops.sum(ops.mul(diff, diff), 1); // [E, 1]
      gate = this.peGate.forward(r);
    }
    // Fused (one kernel each way, bit-identical to the chain it replaced):
    // g = D x_i + E x_j + C e, s = sigmoid(g) (* gate), q = sum s * B x_j / (sum s + 1e-6).
    const { q, g } = ops.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, src, dst, x.rows, 1e-6);
    let u = ops.add(Ax, q);
    u = ops.relu(this.bnNodeX.forward(u));
    // Running statistics only, as the official layer: g carries no gradient and the
    // output is discarded, so neither goes on the tape, and both go back to the pool.
    noGrad(() => this.bnEdgeE.forward(g)).release();
    g.release();
    u = ops.dropout(u, this.opts.dropout, this.training, this.dropRng);
    const out = this.opts.residual ? ops.add(x, u) : u;
    return residual === null ? out : ops.add(out, residual);
  }
}
