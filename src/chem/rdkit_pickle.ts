/**
 * The reader for RDKit's binary molecule pickle (see rdkit.ts for why), apart
 * from RDKit's loader so the browser build can featurise with an RDKit
 * instance it loaded itself.
 */
import type { MainModule, Mol } from '@rdkit/rdkit';

/**
 * An RDKit MinimalLib instance (`@rdkit/rdkit`'s MainModule): what loadRDKit returns
 * in Node, or one a web page loaded itself.
 */
export type RDKit = MainModule;
export type { Mol };

/** RDKit's Atom::HybridizationType values, as stored in the pickle. */
export const HYBRIDISATION = ['UNSPECIFIED', 'S', 'SP', 'SP2', 'SP3', 'SP2D', 'SP3D', 'SP3D2', 'OTHER'] as const;
/** RDKit's Atom::ChiralType values. */
export const CHIRAL_TAG = ['CHI_UNSPECIFIED', 'CHI_TETRAHEDRAL_CW', 'CHI_TETRAHEDRAL_CCW', 'CHI_OTHER',
  'CHI_TETRAHEDRAL', 'CHI_ALLENE', 'CHI_SQUAREPLANAR', 'CHI_TRIGONALBIPYRAMIDAL', 'CHI_OCTAHEDRAL'] as const;
/** RDKit's Bond::BondStereo values. */
export const BOND_STEREO = ['STEREONONE', 'STEREOANY', 'STEREOZ', 'STEREOE', 'STEREOCIS', 'STEREOTRANS',
  'STEREOATROPCW', 'STEREOATROPCCW'] as const;

/** Per-atom properties of a sanitised RDKit molecule, in RDKit atom order. */
export interface AtomProps {
  atomicNum: number;
  formalCharge: number;
  /** Index into CHIRAL_TAG. */
  chiralTag: number;
  /** Index into HYBRIDISATION. */
  hybridisation: number;
  /** Hs set explicitly (bracket atoms such as [NH+]); part of totalHs. */
  numExplicitHs: number;
  explicitValence: number;
  implicitValence: number;
  numRadicals: number;
  isAromatic: boolean;
  /** RDKit's noImplicit flag (bracket atoms): H count is fixed, not derived from valence. */
  noImplicit: boolean;
  isotope: number;
}

/** Per-bond properties; each bond once, RDKit bond order. */
export interface BondProps {
  begin: number;
  end: number;
  /** RDKit's Bond::BondType value: 1 single, 2 double, 3 triple, 12 aromatic, ... */
  bondType: number;
  /** Index into BOND_STEREO. */
  stereo: number;
  isAromatic: boolean;
  isConjugated: boolean;
}

export interface MolProps { atoms: AtomProps[]; bonds: BondProps[] }

const EXPECTED_MAJOR = 16;
const EXPECTED_MINOR = 4;

/**
 * Read atoms and bonds out of RDKit's binary pickle (`mol.get_as_uint8array()`).
 * Throws (naming the field) on pickle features outside the supported subset:
 * query atoms/bonds, atom-map numbers, dummy labels, monomer info.
 */
export function readMolPickle(buf: Uint8Array): MolProps {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const u8 = (): number => { if (p >= buf.length) throw new Error('RDKit pickle: truncated'); return buf[p++]; };
  const i8 = (): number => (u8() << 24) >> 24;
  const i32 = (): number => { const v = dv.getInt32(p, true); p += 4; return v; };
  const fail = (what: string): never => {
    throw new Error(`RDKit pickle: unsupported ${what} at byte ${p} (the reader knows pickle ${EXPECTED_MAJOR}.${EXPECTED_MINOR} from @rdkit/rdkit 2026.9.1; strip atom maps / query features from the input, or update src/chem/rdkit.ts)`);
  };
  if (i32() !== -559038737) fail('endianness marker'); // 0xDEADBEEF
  if (i32() !== 0) fail('header tag');
  const major = i32(), minor = i32(); i32(); // patch
  if (major !== EXPECTED_MAJOR || minor !== EXPECTED_MINOR) fail(`pickle version ${major}.${minor}`);
  const numAtoms = i32();
  const numBonds = i32();
  u8(); // molecule flags
  if (u8() !== 1) fail('section (expected the atom block)');
  const atoms: AtomProps[] = [];
  for (let a = 0; a < numAtoms; a++) {
    const atomicNum = u8();
    const flags = u8();
    if (flags & 0x1f) fail(`atom flags 0x${flags.toString(16)} on atom ${a} (query, atom map, dummy label or monomer info)`);
    const mask = i32();
    // Each set bit says "this field differs from its default"; the fields follow in bit order.
    if (mask & ~0x1fe) fail(`atom field mask 0x${mask.toString(16)} on atom ${a}`);
    const at: AtomProps = {
      atomicNum, formalCharge: 0, chiralTag: 0, hybridisation: 4, numExplicitHs: 0,
      explicitValence: 0, implicitValence: 0, numRadicals: 0,
      isAromatic: (flags & 0x40) !== 0, noImplicit: (flags & 0x20) !== 0, isotope: 0,
    };
    if (mask & 0x02) at.formalCharge = i8();
    if (mask & 0x04) at.chiralTag = u8();
    if (mask & 0x08) at.hybridisation = u8();
    if (mask & 0x10) at.numExplicitHs = u8();
    if (mask & 0x20) at.explicitValence = u8();
    if (mask & 0x40) at.implicitValence = u8();
    if (mask & 0x80) at.numRadicals = u8();
    if (mask & 0x100) at.isotope = i32();
    atoms.push(at);
  }
  if (u8() !== 0x0b) fail('section (expected the bond block)');
  const idx = numAtoms < 256 ? u8 : i32; // atom indices are bytes in small molecules
  const bonds: BondProps[] = [];
  for (let b = 0; b < numBonds; b++) {
    const begin = idx(), end = idx();
    const flags = u8();
    if (flags & 0x11) fail(`bond flags 0x${flags.toString(16)} on bond ${b}`);
    const bond: BondProps = {
      begin, end, bondType: 1, stereo: 0,
      isAromatic: (flags & 0x40) !== 0, isConjugated: (flags & 0x20) !== 0,
    };
    if (flags & 0x08) bond.bondType = u8();
    if (flags & 0x02) {
      bond.stereo = u8();
      const n = u8();
      for (let k = 0; k < n; k++) idx(); // stereo reference atoms: not needed
    }
    if (flags & 0x04) u8(); // bond direction (/ \ marks): not a feature
    if (begin >= numAtoms || end >= numAtoms) fail(`bond ${b} atom index`);
    bonds.push(bond);
  }
  return { atoms, bonds };
}

/** Total H count as RDKit's Atom::GetTotalNumHs() (neighbouring explicit H atoms not included). */
export function totalHs(a: AtomProps): number {
  // RDKit stores implicit Hs as the implicit valence (0 for noImplicit atoms).
  return a.numExplicitHs + (a.noImplicit ? 0 : a.implicitValence);
}

/**
 * Parse a SMILES with RDKit's default sanitisation (as Chem.MolFromSmiles) and
 * read its properties. Returns null when RDKit cannot parse or sanitise it.
 */
export function molPropsFromSmiles(rd: RDKit, smiles: string): MolProps | null {
  const mol = rd.get_mol(smiles);
  if (!mol) return null;
  try {
    if (!mol.is_valid()) return null;
    return readMolPickle(mol.get_as_uint8array() as Uint8Array);
  } finally {
    mol.delete();
  }
}
