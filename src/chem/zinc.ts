/**
 * ZINC's featurisation as in "Benchmarking GNNs" (the 12k subset and ZINC-full):
 * one categorical atom type from a 28-entry dictionary and bond types
 * 1 single / 2 double / 3 triple, following the rebuilding procedure recorded in
 * shared/datasets/SOURCES.md: RDKit parses the SMILES, kekulizes it (aromatic
 * flags cleared), writes the canonical kekulé SMILES (stereo marks kept); that
 * string is then read without sanitisation: nodes are its heavy atoms in order
 * of appearance, the atom key is the element, then ` H<n>` for n Hs written in
 * brackets, then ` +` / ` -` for a charge.
 */
import { type Featuriser, type MolGraphParts, bothDirections } from './featuriser.js';
import type { RDKit } from './rdkit.js';
import { tokenizeSmiles } from '../data/smiles.js';

/** The benchmark's atom dictionary (graphdeeplearning/benchmarking-gnns issue #42), id = index. */
export const ZINC_ATOM_TYPES = ['C', 'O', 'N', 'F', 'C H1', 'S', 'Cl', 'O -', 'N H1 +', 'Br', 'N H3 +', 'N H2 +',
  'N +', 'N -', 'S -', 'I', 'P', 'O H1 +', 'N H1 -', 'O +', 'S +', 'P H1', 'P H2', 'C H2 -', 'P +', 'S H1 +',
  'C H1 -', 'P H1 +'];
const ATOM_ID = new Map(ZINC_ATOM_TYPES.map((k, i) => [k, i]));
/** Bond-type vocabulary: 0 is "no bond" in the benchmark's dense matrix, so 4 values, 1..3 used. */
export const ZINC_BOND_DIMS = [4];
/** Atom-type vocabulary: one categorical column over ZINC_ATOM_TYPES. */
export const ZINC_ATOM_DIMS = [ZINC_ATOM_TYPES.length];

/** RDKit's canonical kekulé SMILES of `smiles` (the string ZINC graphs are read from). */
export function canonicalKekuleSmiles(rd: RDKit, smiles: string): string {
  // Sanitisation kekulizes (clearing aromatic flags); without the aromaticity step the
  // molecule stays kekulé, so the canonical SMILES is written in kekulé form.
  const mol = rd.get_mol(smiles, '{"setAromaticity":false}');
  if (!mol) throw new Error(`RDKit could not parse or sanitise the SMILES ${JSON.stringify(smiles)}`);
  try {
    return mol.get_smiles();
  } finally {
    mol.delete();
  }
}

/** Atom types and bonds (each once, [i, j, t] with i < j) of one molecule, as in ZINC/subset/*.jsonl. */
export function zincAtomsBonds(rd: RDKit, smiles: string): { atoms: number[]; bonds: [number, number, number][] } {
  const kek = canonicalKekuleSmiles(rd, smiles);
  const { atoms, bonds } = tokenizeSmiles(kek);
  const heavy: number[] = []; // token index -> node id (explicit [H] atoms are not nodes)
  const ids: number[] = [];
  for (const a of atoms) {
    if (a.symbol === 'H') { heavy.push(-1); continue; }
    let key = a.symbol;
    if (a.hCount > 0) key += ` H${a.hCount}`;
    if (a.charge !== 0) {
      if (Math.abs(a.charge) !== 1) throw new Error(`ZINC atom types: charge ${a.charge} on ${a.symbol} in ${JSON.stringify(smiles)} is outside the dictionary`);
      key += a.charge > 0 ? ' +' : ' -';
    }
    const id = ATOM_ID.get(key);
    if (id === undefined) throw new Error(`ZINC atom types: atom '${key}' of ${JSON.stringify(smiles)} is not in the 28-type dictionary`);
    heavy.push(ids.length); ids.push(id);
  }
  const out: [number, number, number][] = [];
  for (const b of bonds) {
    const i = heavy[b.a], j = heavy[b.b];
    if (i < 0 || j < 0) continue;
    if (b.order !== 1 && b.order !== 2 && b.order !== 3) {
      throw new Error(`ZINC bond types: bond of order ${b.order} in kekulé SMILES ${kek} (from ${JSON.stringify(smiles)})`);
    }
    out.push([Math.min(i, j), Math.max(i, j), b.order]);
  }
  out.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return { atoms: ids, bonds: out };
}

/** The ZINC featuriser (1 atom-type column, 1 bond-type column), given a loaded RDKit. */
export function zincFeaturiser(rd: RDKit): Featuriser {
  return {
    name: 'zinc',
    atomDims: ZINC_ATOM_DIMS,
    bondDims: ZINC_BOND_DIMS,
    featurise(smiles: string): MolGraphParts {
      const { atoms, bonds } = zincAtomsBonds(rd, smiles);
      const { edgeIndex, edgeCat } = bothDirections(bonds.map((b) => b[0]), bonds.map((b) => b[1]),
        Int32Array.from(bonds, (b) => b[2]), 1);
      return { numNodes: atoms.length, edgeIndex, nodeCat: Int32Array.from(atoms), edgeCat };
    },
  };
}
