/**
 * GraphDataset: a loaded dataset, format-independent. What the trainer, the
 * preprocessing and the model configuration read.
 */
import type { Graph, Task } from '../graph/types.js';

export type Metric = 'accuracy' | 'mae' | 'rocauc' | 'weighted_accuracy';

/** Graph indices (into GraphDataset.graphs) of the training, validation and test sets. */
export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/**
 * A loaded dataset, whatever its file format: the graphs, the task, the feature
 * widths the model configuration needs, the metric and, where it has one, the
 * dataset's own split.
 */
export interface GraphDataset {
  /** The dataset name (as the registry lists it, or given to a file loader). */
  name: string;
  graphs: Graph[];
  /** What the graphs' targets are. */
  task: Task;
  /** Classes for 'multi_class' / 'node_multi_class' (y holds the class id); 0 otherwise. */
  numClasses: number;
  /** Targets per graph, i.e. Graph.y length (1 for multi_class; binary labels for binary_class; values for regression). */
  numTasks: number;
  /** Width of Graph.nodeFeat (0 when null). */
  nodeFeatDim: number;
  /** Vocabulary size of every categorical node column (Graph.nodeCat has nodeCatDims.length columns). */
  nodeCatDims: number[];
  /** Width of Graph.edgeFeat (0 when null). */
  edgeFeatDim: number;
  /** Vocabulary size of every categorical edge column (Graph.edgeCat). */
  edgeCatDims: number[];
  /** The dataset's evaluation metric. */
  metric: Metric;
  /** The split the dataset ships with (ZINC, OGB, SBM); absent for TU sets. */
  officialSplit?: Split;
  /** Original label value of each class id (TU datasets), for reports. */
  classLabels?: string[];
  /** How node features were built, for reports and docs (e.g. 'one-hot node labels', 'one-hot degree (max 135)'). */
  nodeFeatNote?: string;
}

/** Sum of nodes and of directed edges over the dataset. */
export function datasetTotals(ds: GraphDataset): { nodes: number; edges: number } {
  let nodes = 0, edges = 0;
  for (const g of ds.graphs) { nodes += g.numNodes; edges += g.edgeIndex.length >>> 1; }
  return { nodes, edges };
}
