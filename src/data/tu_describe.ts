/**
 * What a TU dataset folder holds, for `gradformer datasets --data-root DIR`:
 * graph count, classes (or regression targets), and the widths of its node and
 * edge labels and attributes. Read by loading the files (attributes on), so a
 * malformed file is found here too, with its file and line.
 */
import type { GraphDataset } from './dataset.js';
import { loadTU, tuFile } from './tu.js';

/**
 * What describeTU reports about a TU dataset: sizes, label and attribute widths,
 * and the node features training would read.
 */
export interface TUDescription {
  /** The dataset name (the files' NAME prefix). */
  name: string;
  /** Number of graphs. */
  graphs: number;
  /** Distinct graph labels (classification); 0 for a regression set. */
  classes: number;
  /** Regression targets per graph (NAME_graph_attributes.txt columns); 0 for classification. */
  targets: number;
  /** One-hot width of every node label column (max - min + 1); empty without NAME_node_labels.txt. */
  nodeLabels: number[];
  /** Columns of NAME_node_attributes.txt (0 when absent). Training ignores them, as the official code (PyG default). */
  nodeAttributes: number;
  /** One-hot width of every edge label column; empty without NAME_edge_labels.txt. */
  edgeLabels: number[];
  /** Columns of NAME_edge_attributes.txt (0 when absent). */
  edgeAttributes: number;
  /** The node features training reads: the one-hot labels, or one-hot (normalised) degree when there are none. */
  nodeFeatures: string;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Describes the TU dataset `name` in `dir` (any layout loadTU reads); throws loadTU's DataError when a file is malformed. */
export function describeTU(dir: string, name: string): TUDescription {
  const ds: GraphDataset = loadTU(dir, name, { useNodeAttr: true, useEdgeAttr: true });
  // With attributes on, the feature width is attribute columns + one-hot label widths.
  const nodeAttributes = tuFile(dir, name, 'node_attributes') ? ds.nodeFeatDim - sum(ds.nodeCatDims) : 0;
  const edgeAttributes = tuFile(dir, name, 'edge_attributes') ? ds.edgeFeatDim - sum(ds.edgeCatDims) : 0;
  const classification = ds.task === 'multi_class';
  return {
    name, graphs: ds.graphs.length,
    classes: classification ? ds.numClasses : 0, targets: classification ? 0 : ds.numTasks,
    nodeLabels: ds.nodeCatDims, nodeAttributes, edgeLabels: ds.edgeCatDims, edgeAttributes,
    nodeFeatures: ds.nodeCatDims.length > 0 ? `one-hot node labels (${sum(ds.nodeCatDims)})` : 'degree (no node labels)',
  };
}
