/**
 * Decay masks and attention of chosen validation graphs, computed from a run's
 * best checkpoint when the report is made (one forward pass, eval mode, no
 * gradients; nothing is re-trained).
 */
import type { GraphDataset } from '../data/dataset.js';
import { preprocessDataset } from '../data/preprocess.js';
import { loadCheckpointWeights, readCheckpointState } from '../train/checkpoint.js';
import { loadDatasetByName } from '../train/data.js';
import type { RunConfig } from '../train/runconfig.js';
import { buildModel, runSplit } from '../train/trainer.js';
import { headGammas, inspectBatch } from './views.js';

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
  const model = buildModel(run);
  loadCheckpointWeights(checkpointDir, model);
  const seen = inspectBatch(model, chosen, pre);
  const H = c.nhead;
  const gamma = headGammas(model);
  const graphs: GraphView[] = chosen.map((g, b) => ({
    valPos: opts.graphs[b],
    index: split.val[opts.graphs[b]],
    n: seen[b].n,
    edges: seen[b].edges,
    nodeLabel: seen[b].nodeLabel,
    y: Array.from(g.y),
    out: seen[b].out,
    spd: Array.from(seen[b].spd),
    mask: seen[b].mask.map((m) => Array.from(m)),
    attn: seen[b].attn[opts.layer].map((m) => Array.from(m)),
  }));
  return {
    checkpoint: checkpointDir, epoch: st.epoch, layer: opts.layer, numLayers: c.num_layers, heads: H,
    hop: Array.from(model.hop.toHost()), gamma, slope: c.slope, graphs,
  };
}
