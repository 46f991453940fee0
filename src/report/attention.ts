/**
 * Decay masks and attention of chosen validation graphs, computed from a run's
 * best checkpoint when the report is made (one forward pass, eval mode, no
 * gradients; nothing is re-trained).
 */
import type { GraphDataset } from '../data/dataset.js';
import { preprocessDataset } from '../data/preprocess.js';
import { collate } from '../graph/batch.js';
import type { Graph } from '../graph/types.js';
import { noGrad } from '../tensor/tensor.js';
import { loadCheckpointWeights, readCheckpointState } from '../train/checkpoint.js';
import { loadDatasetByName } from '../train/data.js';
import type { RunConfig } from '../train/runconfig.js';
import { buildModel, runSplit } from '../train/trainer.js';
import { sliceMaskLayout } from './data.js';

/** One drawn graph with its per-head matrices (row-major [n * n], row = query i, column = key j). */
export interface GraphView {
  /** Position in the validation split (what `--graphs` names). */
  valPos: number;
  /** Index of the graph in the dataset. */
  index: number;
  n: number;
  /** Undirected edges, each once, as [u, v] with u < v. */
  edges: [number, number][];
  /** A label per node (atom type / category id) for colouring, or null. */
  nodeLabel: number[] | null;
  /** Graph target (class id or values). */
  y: number[];
  /** Model output for this graph (logits or values). */
  out: number[];
  /** Shortest-path distances [n * n] (510 = unreachable). */
  spd: number[];
  /** Decay mask per head [H][n * n]. */
  mask: number[][];
  /** Attention probabilities of the chosen layer per head [H][n * n]. */
  attn: number[][];
}

export interface AttentionData {
  /** Checkpoint folder the weights came from. */
  checkpoint: string;
  /** Epoch of that checkpoint. */
  epoch: number;
  layer: number;
  numLayers: number;
  heads: number;
  /** hop per head in the checkpoint [H]. */
  hop: number[];
  /** gamma per head (the fixed gamma repeated, or sigmoid(gamma_logit) when learned) [H]. */
  gamma: number[];
  slope: number;
  graphs: GraphView[];
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

export interface AttentionOptions {
  /** Positions in the validation split. */
  graphs: number[];
  /** Layer whose attention is shown (0-based). */
  layer: number;
  /** Overrides the data root recorded in the run configuration. */
  dataRoot?: string;
  /** A dataset already loaded (tests); otherwise loaded by name. */
  dataset?: GraphDataset;
}

/**
 * Loads the checkpoint in `checkpointDir`, runs the chosen validation graphs
 * through it in one batch and returns masks and attention per graph and head.
 */
export async function computeAttention(checkpointDir: string, opts: AttentionOptions): Promise<AttentionData> {
  const st = readCheckpointState(checkpointDir);
  const run: RunConfig = st.run;
  const c = run.model;
  if (!(Number.isInteger(opts.layer) && opts.layer >= 0 && opts.layer < c.num_layers)) {
    throw new Error(`report: --layer ${opts.layer} does not exist; the model has layers 0..${c.num_layers - 1}`);
  }
  const ds = opts.dataset ?? await loadDatasetByName(run.dataset, opts.dataRoot ?? run.data_root ?? undefined);
  const split = runSplit(run, ds);
  for (const p of opts.graphs) {
    if (p >= split.val.length) {
      throw new Error(`report: --graphs ${p} is out of range; the validation split of ${run.dataset} has ${split.val.length} graphs (0..${split.val.length - 1})`);
    }
  }
  const chosen = opts.graphs.map((p) => ds.graphs[split.val[p]]);
  // Preprocess only the chosen graphs, with the run's own positional encoding.
  const pre = await preprocessDataset({ ...ds, graphs: chosen }, { pe: run.train.pe, noCache: true, progress: false });
  const batch = collate(chosen, pre, chosen.map((_, i) => i));
  const model = buildModel(run);
  loadCheckpointWeights(checkpointDir, model);
  model.eval();
  const res = noGrad(() => model.forward(batch, { keepProbs: true }));
  const H = c.nhead;
  const sizes = chosen.map((g) => g.numNodes);
  const masks = sliceMaskLayout(res.mask.toHost(), sizes, H);
  const probs = sliceMaskLayout(res.probs[opts.layer], sizes, H);
  const outV = res.out.toHost();
  const cols = outV.length / chosen.length;
  const gamma = model.gammaLogit
    ? Array.from(model.gammaLogit.toHost(), (l) => 1 / (1 + Math.exp(-l)))
    : Array.from({ length: H }, () => c.gamma);
  const graphs: GraphView[] = chosen.map((g, b) => ({
    valPos: opts.graphs[b],
    index: split.val[opts.graphs[b]],
    n: g.numNodes,
    edges: undirectedEdges(g),
    nodeLabel: nodeLabels(g),
    y: Array.from(g.y),
    out: Array.from(outV.subarray(b * cols, (b + 1) * cols)),
    spd: Array.from(pre[b].spd),
    mask: masks[b].map((m) => Array.from(m)),
    attn: probs[b].map((m) => Array.from(m)),
  }));
  return {
    checkpoint: checkpointDir, epoch: st.epoch, layer: opts.layer, numLayers: c.num_layers, heads: H,
    hop: Array.from(model.hop.toHost()), gamma, slope: c.slope, graphs,
  };
}
