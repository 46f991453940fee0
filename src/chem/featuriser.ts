/**
 * A molecule featuriser turns one SMILES into the categorical parts of a Graph.
 * Pluggable so a dataset loader (molcsv, ZINC) can pick OGB's 9+3 features or
 * ZINC's atom-type / bond-type vocabulary.
 */

/** What a featuriser makes of one molecule: its atoms as nodes, its bonds as directed edges, and their categorical features. */
export interface MolGraphParts {
  /** Number of atoms (nodes). */
  numNodes: number;
  /** [2, E] row-major, every bond in both directions (bond k -> edges 2k and 2k+1). */
  edgeIndex: Int32Array;
  /** [n, atomDims.length] categorical atom features. */
  nodeCat: Int32Array;
  /** [E, bondDims.length] categorical bond features (same row for both directions of a bond). */
  edgeCat: Int32Array;
}

/**
 * Turns SMILES into the categorical node and edge features of a Graph, over a fixed
 * vocabulary (ogbFeaturiser: OGB's 9 atom and 3 bond features; zincFeaturiser: ZINC's
 * atom and bond types).
 */
export interface Featuriser {
  /** Name for reports and cache keys (e.g. 'ogb', 'zinc'). */
  readonly name: string;
  /** Vocabulary size of each atom feature column. */
  readonly atomDims: number[];
  /** Vocabulary size of each bond feature column. */
  readonly bondDims: number[];
  /** Featurise one SMILES; throws an Error saying why when RDKit rejects it or a value is outside the vocabulary. */
  featurise(smiles: string): MolGraphParts;
}

/**
 * Build [2, 2B] both-direction edges from bonds stored once, in the order OGB's
 * smiles2graph uses: bond k gives edge 2k = (begin -> end) and 2k+1 = (end -> begin).
 * `bondFeat` is [B, d]; the result's edgeCat is [2B, d].
 */
export function bothDirections(begin: ArrayLike<number>, end: ArrayLike<number>, bondFeat: Int32Array, d: number):
  { edgeIndex: Int32Array; edgeCat: Int32Array } {
  const nb = begin.length, ne = 2 * nb;
  const edgeIndex = new Int32Array(2 * ne);
  const edgeCat = new Int32Array(ne * d);
  for (let k = 0; k < nb; k++) {
    edgeIndex[2 * k] = begin[k]; edgeIndex[ne + 2 * k] = end[k];
    edgeIndex[2 * k + 1] = end[k]; edgeIndex[ne + 2 * k + 1] = begin[k];
    for (let c = 0; c < d; c++) {
      edgeCat[2 * k * d + c] = bondFeat[k * d + c];
      edgeCat[(2 * k + 1) * d + c] = bondFeat[k * d + c];
    }
  }
  return { edgeIndex, edgeCat };
}
