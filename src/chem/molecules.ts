/**
 * SMILES -> Graph for the molecule datasets with a preset, with the atom and
 * bond features of their training data (ZINC: the benchmark's 28 atom types and
 * bond types; ogbg-molhiv: OGB's 9 atom + 3 bond features), so a trained model
 * can predict on new molecules. RDKit (wasm) is loaded on first use.
 */
import type { MoleculeCsvDataset, MoleculeCsvOptions } from '../data/molcsv.js';
import type { Graph } from '../graph/types.js';
import type { Featuriser } from './featuriser.js';
import { featuriserFor, graphsFromSmiles, type MoleculeDataset } from './molecule_graphs.js';
import type { RDKit } from './rdkit.js';

export { MOLECULE_DATASETS, type MoleculeDataset } from './molecule_graphs.js';

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

/** The featuriser a molecule dataset's graphs were built with (RDKit loaded from the package). */
export async function moleculeFeaturiser(dataset: MoleculeDataset): Promise<Featuriser> {
  const rd = await loadRDKit();
  return featuriserFor(rd, dataset);
}

/**
 * One unlabelled Graph per SMILES string, featurised as `dataset`'s graphs are
 * (molecule_graphs.ts `graphsFromSmiles`: its errors name the string).
 */
export async function moleculeGraphs(smiles: readonly string[], dataset: MoleculeDataset): Promise<Graph[]> {
  const f = await moleculeFeaturiser(dataset);
  return graphsFromSmiles(f, smiles);
}
