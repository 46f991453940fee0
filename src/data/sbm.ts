/**
 * CLUSTER and PATTERN ("Benchmarking GNNs", Dwivedi et al.) regenerated from the
 * published stochastic-block-model procedure (shared/datasets/SBM.md). The
 * published instances were drawn without a seed and only exist as pickles, so
 * these are statistically equivalent regenerations, not the same graphs.
 *
 * Graph layout: node feature = nodeCat [n, 1] (CLUSTER 0..6, PATTERN 0..2) and,
 * in datasets from `loadSBM`, the same as one-hot floats nodeFeat [n, 7 | 3] (as
 * PyG's GNNBenchmarkDataset, which the official `node_method linear` / `no_pe`
 * presets read); nodeY [n] = node class; edgeIndex = every undirected edge in both
 * directions in row-major order of the dense adjacency (as the benchmark's
 * conversion). The graphs carry no edge attributes, so, as the official training
 * loop substitutes zeros for a missing edge_attr, `loadSBM` gives every edge the
 * category 0 (edgeCat [E, 1], edge vocabulary 1); y is empty.
 */
import type { Graph } from '../graph/types.js';
import type { GraphDataset, Split } from './dataset.js';
import { Rng } from '../util/rng.js';
import { checkKeys } from '../util/options.js';

export type SBMName = 'CLUSTER' | 'PATTERN';
export interface SBMSizes { train: number; val: number; test: number }
export const SBM_PUBLISHED_SIZES: Record<SBMName, SBMSizes> = {
  CLUSTER: { train: 10000, val: 1000, test: 1000 },
  PATTERN: { train: 10000, val: 2000, test: 2000 },
};

export interface SBMOptions {
  seed: number;
  /** Graphs per split; defaults to the published sizes. */
  sizes?: SBMSizes;
}

const TWO32 = 4294967296;
/** Community sizes are uniform in 5..34 (numpy randint(5, 35)). */
function communitySize(rng: Rng): number { return 5 + rng.nextInt(30); }

/** Sample an SBM adjacency into `adj` ([n, n] 0/1, symmetric, zero diagonal); block[i] = community of node i; p inside, q between. */
function sampleSBM(rng: Rng, adj: Uint8Array, n: number, block: Int32Array, p: number, q: number): void {
  const tp = p * TWO32, tq = q * TWO32;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rng.nextU32() < (block[i] === block[j] ? tp : tq)) { adj[i * n + j] = 1; adj[j * n + i] = 1; }
    }
  }
}

/** Relabel the nodes by `perm` and pack as a Graph. */
function pack(n: number, adj: Uint8Array, feat: Int32Array, label: Int32Array, perm: Int32Array): Graph {
  // Stored node a is original node perm[a] (numpy W[rand_idx][:, rand_idx]).
  let E = 0;
  for (let k = 0; k < n * n; k++) E += adj[k];
  const edgeIndex = new Int32Array(2 * E);
  let e = 0;
  for (let a = 0; a < n; a++) {
    const ra = perm[a] * n;
    for (let b = 0; b < n; b++) {
      if (adj[ra + perm[b]]) { edgeIndex[e] = a; edgeIndex[E + e] = b; e++; }
    }
  }
  const nodeCat = new Int32Array(n), nodeY = new Int32Array(n);
  for (let a = 0; a < n; a++) { nodeCat[a] = feat[perm[a]]; nodeY[a] = label[perm[a]]; }
  return { numNodes: n, edgeIndex, nodeFeat: null, nodeCat, edgeFeat: null, edgeCat: null, y: new Float32Array(0), nodeY };
}

/** One CLUSTER graph: 6 communities, p = 0.55, q = 0.25, one revealed node per community. */
export function generateClusterGraph(rng: Rng): Graph {
  const sizes = Array.from({ length: 6 }, () => communitySize(rng));
  const n = sizes.reduce((s, x) => s + x, 0);
  const block = new Int32Array(n);
  for (let r = 0, i = 0; r < 6; r++) for (let t = 0; t < sizes[r]; t++) block[i++] = r;
  const adj = new Uint8Array(n * n);
  sampleSBM(rng, adj, n, block, 0.55, 0.25);
  const perm = rng.permutation(n);
  const g = pack(n, adj, new Int32Array(n), block, perm);
  // After the permutation, one uniformly chosen member of each community r gets feature r + 1.
  const members: number[][] = Array.from({ length: 6 }, () => []);
  for (let a = 0; a < n; a++) members[g.nodeY![a]].push(a);
  for (let r = 0; r < 6; r++) g.nodeCat![members[r][rng.nextInt(members[r].length)]] = r + 1;
  return g;
}

/** A PATTERN instance: the planted pattern's adjacency [m, m] and node features [m], fixed for all its graphs. */
export interface PatternInstance { m: number; adj: Uint8Array; feat: Int32Array }

export function generatePatternInstance(rng: Rng): PatternInstance {
  const m = communitySize(rng);
  const adj = new Uint8Array(m * m), t = 0.5 * TWO32;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) if (rng.nextU32() < t) { adj[i * m + j] = 1; adj[j * m + i] = 1; }
  const feat = new Int32Array(m);
  for (let i = 0; i < m; i++) feat[i] = rng.nextInt(3);
  return { m, adj, feat };
}

/** One PATTERN graph: background SBM (5 communities, p = 0.5, q = 0.35) + the planted pattern. */
export function generatePatternGraph(rng: Rng, inst: PatternInstance): Graph {
  const sizes = Array.from({ length: 5 }, () => communitySize(rng));
  const nG = sizes.reduce((s, x) => s + x, 0), n = nG + inst.m;
  const block = new Int32Array(nG);
  for (let r = 0, i = 0; r < 5; r++) for (let t = 0; t < sizes[r]; t++) block[i++] = r;
  const adj = new Uint8Array(n * n);
  // Background block [nG, nG] inside the [n, n] matrix.
  const tp = 0.5 * TWO32, tq = 0.35 * TWO32;
  for (let i = 0; i < nG; i++) {
    for (let j = i + 1; j < nG; j++) {
      if (rng.nextU32() < (block[i] === block[j] ? tp : tq)) { adj[i * n + j] = 1; adj[j * n + i] = 1; }
    }
  }
  const feat = new Int32Array(n), label = new Int32Array(n);
  for (let i = 0; i < nG; i++) feat[i] = rng.nextInt(3);
  for (let a = 0; a < inst.m; a++) {
    const i = nG + a;
    feat[i] = inst.feat[a]; label[i] = 1;
    for (let b = a + 1; b < inst.m; b++) if (inst.adj[a * inst.m + b]) { adj[i * n + nG + b] = 1; adj[(nG + b) * n + i] = 1; }
  }
  const tx = 0.5 * TWO32; // pattern-to-background edges, fresh per graph
  for (let a = 0; a < inst.m; a++) {
    const i = nG + a;
    for (let j = 0; j < nG; j++) if (rng.nextU32() < tx) { adj[i * n + j] = 1; adj[j * n + i] = 1; }
  }
  return pack(n, adj, feat, label, rng.permutation(n));
}

/**
 * Generate the graphs split by split, in dataset order (train, then val, then test).
 * PATTERN uses 100 pattern instances; graph t of a split of size S uses instance
 * floor(100 t / S), which for the published sizes is the published blocks of
 * 100 / 20 / 20 consecutive graphs per instance.
 */
export function* sbmGraphs(name: SBMName, opts: SBMOptions): Generator<{ split: keyof SBMSizes; graph: Graph }> {
  const sizes = opts.sizes ?? SBM_PUBLISHED_SIZES[name];
  for (const s of ['train', 'val', 'test'] as const) {
    if (!Number.isInteger(sizes[s]) || sizes[s] < 0) throw new RangeError(`loadSBM(${name}): sizes.${s} must be a non-negative integer, got ${sizes[s]}`);
  }
  const rng = new Rng(opts.seed);
  if (name === 'CLUSTER') {
    for (const s of ['train', 'val', 'test'] as const) for (let t = 0; t < sizes[s]; t++) yield { split: s, graph: generateClusterGraph(rng) };
    return;
  }
  if (name !== 'PATTERN') throw new Error(`loadSBM: unknown dataset '${name as string}' (expected CLUSTER or PATTERN)`);
  const K = 100;
  const instances = Array.from({ length: K }, () => generatePatternInstance(rng));
  // Bucket graphs by instance, then emit in split order with per-graph rngs drawn
  // instance-major, as the published notebook generates them.
  const out: Record<keyof SBMSizes, Graph[]> = { train: [], val: [], test: [] };
  for (const s of ['train', 'val', 'test'] as const) out[s] = new Array(sizes[s]);
  for (let k = 0; k < K; k++) {
    for (const s of ['train', 'val', 'test'] as const) {
      const S = sizes[s];
      for (let t = Math.ceil(k * S / K); t < Math.ceil((k + 1) * S / K); t++) out[s][t] = generatePatternGraph(rng, instances[k]);
    }
  }
  for (const s of ['train', 'val', 'test'] as const) for (const graph of out[s]) yield { split: s, graph };
}

/** Generate CLUSTER or PATTERN as a GraphDataset with its official split (train, val, test in order). */
export function loadSBM(name: SBMName, opts: SBMOptions): GraphDataset {
  checkKeys('SBM options', opts, ['seed', 'sizes']);
  const graphs: Graph[] = [];
  const counts = { train: 0, val: 0, test: 0 };
  for (const { split, graph } of sbmGraphs(name, opts)) { graphs.push(graph); counts[split]++; }
  const featDim = name === 'CLUSTER' ? 7 : 3;
  // One shared zero buffer: each graph's edge categories are a view of it (no per-graph copy).
  const zeros = new Int32Array(graphs.reduce((m, g) => Math.max(m, g.edgeIndex.length >> 1), 0));
  for (const g of graphs) {
    const x = new Float32Array(g.numNodes * featDim);
    for (let a = 0; a < g.numNodes; a++) x[a * featDim + g.nodeCat![a]] = 1;
    g.nodeFeat = x;
    g.edgeCat = zeros.subarray(0, g.edgeIndex.length >> 1);
  }
  const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);
  const split: Split = {
    train: range(0, counts.train),
    val: range(counts.train, counts.train + counts.val),
    test: range(counts.train + counts.val, graphs.length),
  };
  return {
    name, graphs, task: 'node_multi_class',
    numClasses: name === 'CLUSTER' ? 6 : 2,
    numTasks: 1,
    nodeFeatDim: featDim,
    nodeCatDims: [featDim],
    edgeFeatDim: 0,
    edgeCatDims: [1],
    metric: 'weighted_accuracy',
    officialSplit: split,
    nodeFeatNote: name === 'CLUSTER'
      ? 'one categorical feature (also one-hot): 0, or r+1 on one revealed node of community r (regenerated SBM)'
      : 'one categorical feature (also one-hot) in {0,1,2} (regenerated SBM)',
  };
}

/** Dataset statistics to compare with the published ones (SBM.md section 4). */
export interface SBMStats {
  graphs: number; avgNodes: number; avgEdges: number; minNodes: number; maxNodes: number;
  /** Share of nodes per class. */
  classShare: number[];
  /** Distinct node-feature values seen. */
  featureValues: number[];
  /** Graphs not connected (BFS from node 0). */
  disconnected: number;
  /** Time to generate, ms. */
  ms: number;
}

/** Generate (streaming, nothing kept) and measure. */
export function sbmStats(name: SBMName, opts: SBMOptions): SBMStats {
  const t0 = performance.now();
  const C = name === 'CLUSTER' ? 6 : 2;
  const cls = new Float64Array(C), feats = new Set<number>();
  let G = 0, N = 0, E = 0, minN = Infinity, maxN = 0, disconnected = 0;
  for (const { graph: g } of sbmGraphs(name, opts)) {
    G++; N += g.numNodes; E += g.edgeIndex.length >>> 1;
    minN = Math.min(minN, g.numNodes); maxN = Math.max(maxN, g.numNodes);
    for (const y of g.nodeY!) cls[y]++;
    for (const f of g.nodeCat!) feats.add(f);
    if (!connected(g)) disconnected++;
  }
  return { graphs: G, avgNodes: N / G, avgEdges: E / G, minNodes: minN, maxNodes: maxN,
    classShare: Array.from(cls, (c) => c / N), featureValues: [...feats].sort((a, b) => a - b), disconnected,
    ms: performance.now() - t0 };
}

function connected(g: Graph): boolean {
  const n = g.numNodes, E = g.edgeIndex.length >>> 1;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < E; e++) start[g.edgeIndex[e] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  // edges are sorted by source (row-major), so targets of node i are edgeIndex[E + start[i] .. E + start[i+1])
  const seen = new Uint8Array(n), stack = [0];
  seen[0] = 1;
  let count = 1;
  while (stack.length) {
    const v = stack.pop()!;
    for (let e = start[v]; e < start[v + 1]; e++) {
      const w = g.edgeIndex[E + e];
      if (!seen[w]) { seen[w] = 1; count++; stack.push(w); }
    }
  }
  return count === n;
}
