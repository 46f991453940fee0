/**
 * The graph data types shared by the data layer and the model.
 *
 * Data flows one way: files -> Graph -> cached preprocessing (distances, PE)
 * -> GraphBatch (packed, no padding) -> model.
 */

/** Distance used for unreachable node pairs (as the official preprocessing). */
export const UNREACHABLE = 510;

/** One graph. Undirected graphs list every edge in both directions. */
export interface Graph {
  numNodes: number;
  /** [2, E] row-major: edgeIndex[e] = source j, edgeIndex[E + e] = target i (messages j -> i). */
  edgeIndex: Int32Array;
  /** Float node features [n, nodeFeatDim] (one-hot labels, attributes, degree), or null. */
  nodeFeat: Float32Array | null;
  /** Categorical node features [n, nodeCatDim] (ZINC atom type: 1 column; OGB: 9), or null. */
  nodeCat: Int32Array | null;
  /** Float edge features [E, edgeFeatDim], or null. */
  edgeFeat: Float32Array | null;
  /** Categorical edge features [E, edgeCatDim] (ZINC bond type: 1 column; OGB: 3), or null. */
  edgeCat: Int32Array | null;
  /**
   * Graph-level target [numTargets]: the class id (0..C-1) for classification,
   * the value(s) for regression, 0/1 with NaN for a missing label in multi-label tasks.
   */
  y: Float32Array;
  /** Node-level class ids [n] for node tasks (CLUSTER, PATTERN), else null. */
  nodeY: Int32Array | null;
}

/** Per-graph preprocessing, computed once and cached. */
export interface GraphPre {
  /** Shortest-path hop distances [n, n], row = from, col = to; 0 diagonal, 510 unreachable. */
  spd: Uint16Array;
  /** Positional encoding [n, peDim] (RWSE or LapPE). */
  pe: Float32Array;
}

/**
 * What a dataset predicts: 'multi_class' (a class id per graph), 'binary_class'
 * (0/1 labels per graph, one per task, NaN where missing), 'regression' (values per
 * graph) or 'node_multi_class' (a class id per node, `nodeY`).
 */
export type Task = 'multi_class' | 'binary_class' | 'regression' | 'node_multi_class';

/** Graphs packed back to back: what the model and the ragged attention consume. */
export interface GraphBatch {
  numGraphs: number;
  numNodes: number;
  numEdges: number;
  /** [B+1] node offsets: graph b owns nodes graphPtr[b]..graphPtr[b+1]-1. */
  graphPtr: Int32Array;
  /** [N] graph id of every node (the PyG `batch` vector). */
  batch: Int32Array;
  /** [B+1] edge offsets. */
  edgePtr: Int32Array;
  /** [2, E] with node ids offset to the packed numbering (row 0 source, row 1 target). */
  edgeIndex: Int32Array;
  nodeFeat: Float32Array | null; nodeFeatDim: number;
  nodeCat: Int32Array | null; nodeCatDim: number;
  edgeFeat: Float32Array | null; edgeFeatDim: number;
  edgeCat: Int32Array | null; edgeCatDim: number;
  /** Packed distance blocks: graph b's [n_b, n_b] block starts at spdPtr[b]; total sum n_b^2. */
  spd: Uint16Array;
  /** [B+1] offsets into spd. */
  spdPtr: Int32Array;
  /** [N, peDim] packed positional encodings. */
  pe: Float32Array; peDim: number;
  /** [B, numTargets] graph targets (see Graph.y). */
  y: Float32Array; numTargets: number;
  /** [N] node class ids for node tasks, else null. */
  nodeY: Int32Array | null;
  /** [B] index of each graph in its dataset. */
  index: Int32Array;
}
