/**
 * SMILES -> Graph with the featuriser of a molecule dataset, given an RDKit
 * MinimalLib instance the caller loaded: the Node-free half of molecules.ts
 * (which loads RDKit from the package in Node), so `gradformer predict --smiles`
 * and the web page build the same graphs.
 */
import type { Graph } from '../graph/types.js';
import type { Featuriser } from './featuriser.js';
import { ogbFeaturiser } from './ogb.js';
import type { RDKit } from './rdkit_pickle.js';
import { zincFeaturiser } from './zinc.js';

/** Datasets whose graphs come from SMILES with a featuriser here. */
export const MOLECULE_DATASETS = ['ZINC', 'ogbg-molhiv'] as const;
/** A name in MOLECULE_DATASETS. */
export type MoleculeDataset = typeof MOLECULE_DATASETS[number];

/** Whether graphs of `dataset` can be built from SMILES here. */
export function isMoleculeDataset(dataset: string): dataset is MoleculeDataset {
  return (MOLECULE_DATASETS as readonly string[]).includes(dataset);
}

/** The featuriser a molecule dataset's graphs were built with, on the given RDKit. */
export function featuriserFor(rd: RDKit, dataset: MoleculeDataset): Featuriser {
  if (dataset === 'ogbg-molhiv') return ogbFeaturiser(rd);
  if (dataset === 'ZINC') return zincFeaturiser(rd);
  throw new Error(`molecules: no featuriser for dataset ${String(dataset)}; accepted: ${MOLECULE_DATASETS.join(', ')}`);
}

/**
 * One unlabelled Graph per SMILES string (target NaN): nodeCat [n, atom features],
 * edgeCat [E, bond features], edges in both directions. Throws naming the string
 * and its 1-based position (counted from `first` + 1 when `smiles` is a slice of a
 * longer list) when RDKit rejects it or a feature is outside the dataset's vocabulary.
 */
export function graphsFromSmiles(f: Featuriser, smiles: readonly string[], first = 0): Graph[] {
  return smiles.map((s, k) => {
    let p;
    try {
      p = f.featurise(s);
    } catch (e) {
      throw new Error(`molecules: SMILES #${first + k + 1} ${JSON.stringify(s)}: ${(e as Error).message}`);
    }
    return { numNodes: p.numNodes, edgeIndex: p.edgeIndex, nodeFeat: null, nodeCat: p.nodeCat, edgeFeat: null, edgeCat: p.edgeCat,
      y: new Float32Array(1).fill(NaN), nodeY: null };
  });
}
