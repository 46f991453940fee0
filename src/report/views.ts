/**
 * What one forward pass shows about each graph of a batch: its output, the decay
 * mask of every head and the attention of every layer and head, cut per graph
 * out of the model's mask layout, plus the decay curves of the heads. Node-free:
 * the report (attention.ts) and the web page's predictions (src/web/predict.ts)
 * both build on it.
 */
import { collate } from '../graph/batch.js';
import type { Graph, GraphPre } from '../graph/types.js';
import type { Gradformer } from '../models/gradformer.js';
import { noGrad } from '../tensor/tensor.js';
import { decayCurves, sliceMaskLayout } from './data.js';

/** One graph as the model saw it (matrices row-major [n * n], row = query i, column = key j). */
export interface GraphInspection {
  n: number;
  /** Undirected edges, each once, as [u, v] with u < v. */
  edges: [number, number][];
  /** A label per node (atom type / category id) for colouring, or null. */
  nodeLabel: number[] | null;
  /** Model output for this graph (logits or values). */
  out: number[];
  /** Shortest-path distances [n * n] (510 = unreachable). */
  spd: Uint16Array;
  /** Decay mask per head [H][n * n]. */
  mask: Float32Array[];
  /** Attention probabilities per layer and head [L][H][n * n]. */
  attn: Float32Array[][];
}

/** The decay of every head: M = gamma ** leaky_relu(d - hop, slope) at d = 0..dMax. */
export interface DecayPanel {
  hop: number[];
  gamma: number[];
  slope: number;
  dMax: number;
  /** curves[h][d]. */
  curves: number[][];
}

/** Undirected edges of a graph, each pair once with u < v, self-loops dropped. */
export function undirectedEdges(g: Graph): [number, number][] {
  const E = g.edgeIndex.length / 2;
  const seen = new Set<number>();
  const out: [number, number][] = [];
  for (let e = 0; e < E; e++) {
    const a = g.edgeIndex[e], b = g.edgeIndex[E + e];
    if (a === b) continue;
    const u = Math.min(a, b), v = Math.max(a, b);
    const key = u * g.numNodes + v;
    if (!seen.has(key)) { seen.add(key); out.push([u, v]); }
  }
  return out;
}

/** A category per node for colouring: argmax of one-hot float features, else the first categorical column. */
export function nodeLabels(g: Graph): number[] | null {
  const n = g.numNodes;
  if (g.nodeCat) {
    const w = g.nodeCat.length / Math.max(1, n);
    return Array.from({ length: n }, (_, i) => g.nodeCat![i * w]);
  }
  if (g.nodeFeat) {
    const w = g.nodeFeat.length / Math.max(1, n);
    return Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let k = 1; k < w; k++) if (g.nodeFeat![i * w + k] > g.nodeFeat![i * w + best]) best = k;
      return best;
    });
  }
  return null;
}

/** gamma per head: the fixed gamma repeated, or sigmoid(gamma_logit) when it is learned. */
export function headGammas(model: Gradformer): number[] {
  return model.gammaLogit
    ? Array.from(model.gammaLogit.toHost(), (l) => 1 / (1 + Math.exp(-l)))
    : Array.from({ length: model.config.nhead }, () => model.config.gamma);
}

/**
 * Runs `graphs` (with their preprocessing) through the model as one batch, in
 * eval mode without gradients, keeping the attention of every layer, and cuts
 * the result per graph. The model is left in eval mode.
 */
export function inspectBatch(model: Gradformer, graphs: readonly Graph[], pre: readonly GraphPre[]): GraphInspection[] {
  const batch = collate(graphs as Graph[], pre as GraphPre[], graphs.map((_, i) => i));
  model.eval();
  const res = noGrad(() => model.forward(batch, { keepProbs: true }));
  const H = model.config.nhead;
  const sizes = graphs.map((g) => g.numNodes);
  const masks = sliceMaskLayout(res.mask.toHost(), sizes, H);
  const layers = res.probs.map((p) => sliceMaskLayout(p, sizes, H));
  const outV = res.out.toHost();
  const cols = outV.length / Math.max(1, graphs.length);
  return graphs.map((g, b) => ({
    n: g.numNodes,
    edges: undirectedEdges(g),
    nodeLabel: nodeLabels(g),
    out: Array.from(outV.subarray(b * cols, (b + 1) * cols)),
    spd: pre[b].spd,
    mask: masks[b],
    attn: layers.map((l) => l[b]),
  }));
}

/**
 * Decay curves of the heads out to a distance that shows them (at least 10, past
 * every hop by 4, and the largest finite distance among `spds`).
 */
export function decayPanel(hop: number[], gamma: number[], slope: number, spds: Iterable<ArrayLike<number>> = []): DecayPanel {
  let dMax = Math.max(10, Math.ceil(Math.max(...hop)) + 4);
  for (const s of spds) for (let k = 0; k < s.length; k++) if (s[k] < 510) dMax = Math.max(dMax, s[k]);
  return { hop, gamma, slope, dMax, curves: decayCurves(hop, gamma, slope, dMax) };
}
