/**
 * Bemis-Murcko scaffolds and the scaffold split of OGB / DeepChem.
 *
 * MinimalLib has no MurckoDecompose, so it is done here the way RDKit's
 * MurckoDecompose does it, on RDKit's own molecule (pickle for flags, commonchem
 * JSON for the kekulé bond orders): keep ring atoms and the atoms linking ring
 * systems; keep non-kept atoms double-bonded to a kept atom; fix the H counts of
 * kept atoms that lost a neighbour (aromatic heteroatoms get one H, aromatic C+
 * becomes neutral, bracket/chiral atoms become plain); then RDKit rebuilds the
 * scaffold from JSON and writes its canonical SMILES (the grouping key).
 */
import type { RDKit } from './rdkit_pickle.js';
import { readMolPickle } from './rdkit_pickle.js';
import { ringAtoms } from './rings.js';

interface JsonAtom { z?: number; impHs?: number; chg?: number; nRad?: number; isotope?: number; stereo?: string }
interface JsonBond { bo?: number; atoms: [number, number]; stereo?: string; stereoAtoms?: number[] }

/** Canonical SMILES of the Murcko scaffold ('' for a molecule without rings); null when RDKit rejects the SMILES. */
export function murckoScaffold(rd: RDKit, smiles: string): string | null {
  const mol = rd.get_mol(smiles);
  if (!mol) return null;
  let props, doc;
  try {
    if (!mol.is_valid()) return null;
    props = readMolPickle(mol.get_as_uint8array() as Uint8Array);
    doc = JSON.parse(mol.get_json());
  } finally { mol.delete(); }
  const m = doc.molecules[0];
  const defA: JsonAtom = doc.defaults.atom, defB: JsonBond = doc.defaults.bond;
  const atoms: Required<JsonAtom>[] = m.atoms.map((a: JsonAtom) => ({ ...defA, ...a }));
  const bonds: (JsonBond & { bo: number })[] = m.bonds.map((b: JsonBond) => ({ ...defB, ...b }));
  const n = atoms.length;
  const begin = bonds.map((b) => b.atoms[0]), end = bonds.map((b) => b.atoms[1]);
  const keep = ringAtoms(n, begin, end);
  if (!keep.some((x) => x)) return '';
  // Linkers: prune non-ring atoms of degree 1 until none is left; what remains lies between ring systems.
  const alive = new Uint8Array(n).fill(1), deg = new Int32Array(n);
  for (let k = 0; k < bonds.length; k++) { deg[begin[k]]++; deg[end[k]]++; }
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (!keep[i] && deg[i] <= 1) queue.push(i);
  while (queue.length) {
    const v = queue.pop()!;
    if (!alive[v]) continue;
    alive[v] = 0;
    for (let k = 0; k < bonds.length; k++) {
      const w = begin[k] === v ? end[k] : end[k] === v ? begin[k] : -1;
      if (w >= 0 && alive[w] && !keep[w] && --deg[w] <= 1) queue.push(w);
    }
  }
  for (let i = 0; i < n; i++) if (alive[i]) keep[i] = 1;
  // RDKit keeps a non-kept atom when it is double-bonded to a kept one.
  const survive = Uint8Array.from(keep);
  for (let k = 0; k < bonds.length; k++) {
    if (props.bonds[k].bondType !== 2) continue;
    if (keep[begin[k]] && !keep[end[k]]) survive[end[k]] = 1;
    if (keep[end[k]] && !keep[begin[k]]) survive[begin[k]] = 1;
  }
  for (let k = 0; k < bonds.length; k++) {
    for (const [a, b] of [[begin[k], end[k]], [end[k], begin[k]]]) {
      if (!survive[a] || survive[b]) continue; // a loses neighbour b
      const at = atoms[a], p = props.atoms[a];
      if (keep[a] && p.isAromatic && p.atomicNum !== 6) { at.impHs = 1; continue; }
      if (keep[a] && p.isAromatic && p.atomicNum === 6 && at.chg === 1) at.chg = 0;
      else if (keep[a] && (p.noImplicit || at.stereo !== 'unspecified')) at.stereo = 'unspecified';
      at.impHs += bonds[k].bo; // the lost bond's valence goes to hydrogens, as RDKit's implicit-H recomputation
    }
  }
  const newIdx = new Int32Array(n).fill(-1);
  const outAtoms: JsonAtom[] = [];
  for (let i = 0; i < n; i++) if (survive[i]) { newIdx[i] = outAtoms.length; outAtoms.push(atoms[i]); }
  const outBonds: JsonBond[] = [];
  for (const b of bonds) {
    if (!survive[b.atoms[0]] || !survive[b.atoms[1]]) continue;
    const nb: JsonBond = { bo: b.bo, atoms: [newIdx[b.atoms[0]], newIdx[b.atoms[1]]] };
    if (b.stereo && b.stereo !== 'unspecified' && b.stereoAtoms?.every((x) => survive[x])) {
      nb.stereo = b.stereo; nb.stereoAtoms = b.stereoAtoms.map((x) => newIdx[x]);
    }
    outBonds.push(nb);
  }
  const json = JSON.stringify({ rdkitjson: doc.rdkitjson, defaults: doc.defaults, molecules: [{ atoms: outAtoms, bonds: outBonds }] });
  const sc = rd.get_mol(json);
  if (!sc) throw new Error(`Murcko scaffold of ${JSON.stringify(smiles)}: RDKit rejected the scaffold molecule`);
  try { return sc.get_smiles(); } finally { sc.delete(); }
}

/**
 * Scaffold split as OGB / DeepChem's ScaffoldSplitter: group molecules by scaffold,
 * order groups by size (largest first; ties: larger first index first), fill train
 * up to frac[0] of all molecules, then valid up to frac[0] + frac[1], rest test.
 * `scaffolds[i]` is the key of molecule i. Returned indices are sorted ascending.
 */
export function scaffoldSplit(scaffolds: string[], frac: [number, number, number] = [0.8, 0.1, 0.1]):
  { train: Int32Array; val: Int32Array; test: Int32Array } {
  const groups = new Map<string, number[]>();
  scaffolds.forEach((s, i) => { const g = groups.get(s); if (g) g.push(i); else groups.set(s, [i]); });
  const sets = [...groups.values()].sort((a, b) => b.length - a.length || b[0] - a[0]);
  const N = scaffolds.length, trainCut = frac[0] * N, validCut = (frac[0] + frac[1]) * N;
  const train: number[] = [], val: number[] = [], test: number[] = [];
  for (const s of sets) {
    if (train.length + s.length > trainCut) {
      if (train.length + val.length + s.length > validCut) test.push(...s); else val.push(...s);
    } else train.push(...s);
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), val: sorted(val), test: sorted(test) };
}
