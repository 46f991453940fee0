/**
 * OGB's molecule featurisation (ogb/utils/features.py and smiles2graph, ogb 1.3.x):
 * 9 categorical atom features and 3 bond features, each the index of the RDKit
 * value in OGB's allowable list, with out-of-list values mapped to the last index
 * (OGB's safe_index). RDKit parses with default sanitisation, nodes in RDKit atom
 * order, bonds in RDKit bond order, each bond as two directed edges.
 */
import { type Featuriser, type MolGraphParts, bothDirections } from './featuriser.js';
import { type RDKit, type MolProps, BOND_STEREO, CHIRAL_TAG, HYBRIDISATION, molPropsFromSmiles, totalHs } from './rdkit_pickle.js';
import { ringAtoms } from './rings.js';

/** Vocabulary sizes of OGB's 9 atom features (OGB_ATOM_COLUMNS), as its get_atom_feature_dims(). */
export const OGB_ATOM_DIMS = [119, 5, 12, 12, 10, 6, 6, 2, 2];
/** Vocabulary sizes of OGB's 3 bond features (OGB_BOND_COLUMNS), as its get_bond_feature_dims(). */
export const OGB_BOND_DIMS = [5, 6, 2];
export const OGB_ATOM_COLUMNS = ['atomic_num', 'chirality', 'degree', 'formal_charge', 'num_hs',
  'num_radical_e', 'hybridization', 'is_aromatic', 'is_in_ring'];
export const OGB_BOND_COLUMNS = ['bond_type', 'bond_stereo', 'is_conjugated'];

const CHIRALITY_LIST = ['CHI_UNSPECIFIED', 'CHI_TETRAHEDRAL_CW', 'CHI_TETRAHEDRAL_CCW', 'CHI_OTHER']; // + misc
const HYBRID_LIST = ['SP', 'SP2', 'SP3', 'SP3D', 'SP3D2']; // + misc
/** RDKit BondType value -> OGB index (SINGLE, DOUBLE, TRIPLE, AROMATIC; anything else misc = 4). */
const BOND_TYPE_INDEX = new Map([[1, 0], [2, 1], [3, 2], [12, 3]]);
/** OGB's stereo list has no 'misc': safe_index sends unknown values to its last entry, STEREOANY. */
const STEREO_LIST = ['STEREONONE', 'STEREOZ', 'STEREOE', 'STEREOCIS', 'STEREOTRANS', 'STEREOANY'];

/** OGB's safe_index over an integer range lo..hi: value - lo, or the misc slot (hi - lo + 1). */
function rangeIndex(v: number, lo: number, hi: number): number {
  return v >= lo && v <= hi ? v - lo : hi - lo + 1;
}
function listIndex(list: readonly string[], v: string | undefined, miscIndex: number): number {
  const i = v === undefined ? -1 : list.indexOf(v);
  return i >= 0 ? i : miscIndex;
}

/** Featurise already-read RDKit properties the OGB way. */
export function ogbFeaturesFromProps(props: MolProps): MolGraphParts {
  const { atoms, bonds } = props;
  const n = atoms.length, nb = bonds.length;
  const begin = new Int32Array(nb), end = new Int32Array(nb);
  const degree = new Int32Array(n);
  for (let k = 0; k < nb; k++) {
    begin[k] = bonds[k].begin; end[k] = bonds[k].end;
    degree[begin[k]]++; degree[end[k]]++;
  }
  const inRing = ringAtoms(n, begin, end);
  const nodeCat = new Int32Array(n * 9);
  for (let i = 0; i < n; i++) {
    const a = atoms[i], h = totalHs(a), row = i * 9;
    nodeCat[row] = rangeIndex(a.atomicNum, 1, 118);
    nodeCat[row + 1] = listIndex(CHIRALITY_LIST, CHIRAL_TAG[a.chiralTag], 4);
    nodeCat[row + 2] = rangeIndex(degree[i] + h, 0, 10); // GetTotalDegree: neighbours + Hs
    nodeCat[row + 3] = rangeIndex(a.formalCharge, -5, 5);
    nodeCat[row + 4] = rangeIndex(h, 0, 8);
    nodeCat[row + 5] = rangeIndex(a.numRadicals, 0, 4);
    nodeCat[row + 6] = listIndex(HYBRID_LIST, HYBRIDISATION[a.hybridisation], 5);
    nodeCat[row + 7] = a.isAromatic ? 1 : 0;
    nodeCat[row + 8] = inRing[i];
  }
  const bondFeat = new Int32Array(nb * 3);
  for (let k = 0; k < nb; k++) {
    const b = bonds[k];
    bondFeat[3 * k] = BOND_TYPE_INDEX.get(b.bondType) ?? 4;
    bondFeat[3 * k + 1] = listIndex(STEREO_LIST, BOND_STEREO[b.stereo], 5);
    bondFeat[3 * k + 2] = b.isConjugated ? 1 : 0;
  }
  const { edgeIndex, edgeCat } = bothDirections(begin, end, bondFeat, 3);
  return { numNodes: n, edgeIndex, nodeCat, edgeCat };
}

/** The OGB featuriser (9 atom + 3 bond columns), given a loaded RDKit (see loadRDKit()). */
export function ogbFeaturiser(rd: RDKit): Featuriser {
  return {
    name: 'ogb',
    atomDims: OGB_ATOM_DIMS,
    bondDims: OGB_BOND_DIMS,
    featurise(smiles: string): MolGraphParts {
      const props = molPropsFromSmiles(rd, smiles);
      if (!props) throw new Error(`RDKit could not parse or sanitise the SMILES ${JSON.stringify(smiles)}`);
      return ogbFeaturesFromProps(props);
    },
  };
}
