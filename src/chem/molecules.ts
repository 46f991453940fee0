/**
 * SMILES -> Graph for the molecule datasets with a preset, with the atom and
 * bond features of their training data (ZINC: the benchmark's 28 atom types and
 * bond types; ogbg-molhiv: OGB's 9 atom + 3 bond features), so a trained model
 * can predict on new molecules. RDKit (wasm) is loaded on first use.
 */
import type { MoleculeCsvDataset, MoleculeCsvOptions } from '../data/molcsv.js';
import type { Graph } from '../graph/types.js';
import type { Featuriser } from './featuriser.js';
import type { RDKit } from './rdkit.js';

// RDKit's loader and the CSV reader are imported on first use, so importing the
// package does not load them (about 80 ms).

/** RDKit's MinimalLib (wasm, shipped in the package), loaded once per process. */
export async function loadRDKit(): Promise<RDKit> {
  return (await import('./rdkit.js')).loadRDKit();
}

/** A CSV of SMILES + targets as a dataset featurised as OGB (docs/CHEMISTRY.md). */
export async function loadMoleculeCsv(path: string, opts: MoleculeCsvOptions): Promise<MoleculeCsvDataset> {
  return (await import('../data/molcsv.js')).loadMoleculeCsv(path, opts);
}

/** Datasets whose graphs come from SMILES with a featuriser here. */
export const MOLECULE_DATASETS = ['ZINC', 'ogbg-molhiv'] as const;
export type MoleculeDataset = typeof MOLECULE_DATASETS[number];

/** The featuriser a molecule dataset's graphs were built with. */
export async function moleculeFeaturiser(dataset: MoleculeDataset): Promise<Featuriser> {
  const rd = await loadRDKit();
  if (dataset === 'ogbg-molhiv') return (await import('./ogb.js')).ogbFeaturiser(rd);
  if (dataset === 'ZINC') return (await import('./zinc.js')).zincFeaturiser(rd);
  throw new Error(`molecules: no featuriser for dataset ${String(dataset)}; accepted: ${MOLECULE_DATASETS.join(', ')}`);
}

/**
 * One unlabelled Graph per SMILES string (target NaN), featurised as `dataset`'s
 * graphs are: nodeCat [n, atom features], edgeCat [E, bond features], edges in
 * both directions. Throws naming the string (1-based position) when RDKit rejects
 * it or a feature is outside the dataset's vocabulary.
 */
export async function moleculeGraphs(smiles: readonly string[], dataset: MoleculeDataset): Promise<Graph[]> {
  const f = await moleculeFeaturiser(dataset);
  return smiles.map((s, k) => {
    let p;
    try {
      p = f.featurise(s);
    } catch (e) {
      throw new Error(`molecules: SMILES #${k + 1} ${JSON.stringify(s)}: ${(e as Error).message}`);
    }
    return { numNodes: p.numNodes, edgeIndex: p.edgeIndex, nodeFeat: null, nodeCat: p.nodeCat, edgeFeat: null, edgeCat: p.edgeCat,
      y: new Float32Array(1).fill(NaN), nodeY: null };
  });
}
