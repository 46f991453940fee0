/**
 * Names of a molecule graph's atoms for the Predict tab's drawing, read from the
 * featuriser's own atom ids: ZINC's 28-type dictionary ("N H1 +"), or OGB's first
 * atom column (atomic number - 1) as the element symbol.
 */
import { ZINC_ATOM_TYPES } from '../../../chem/zinc.js';

const ELEMENTS = ('H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr ' +
  'Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os ' +
  'Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og').split(' ');

/** The atom type of every node (its first categorical feature) as text, or null for a dataset without names here. */
export function atomNames(dataset: string, firstColumn: readonly number[] | null): string[] | null {
  if (!firstColumn) return null;
  if (dataset === 'ZINC') return firstColumn.map((id) => ZINC_ATOM_TYPES[id] ?? `type ${id}`);
  if (dataset.startsWith('ogbg-mol')) return firstColumn.map((id) => ELEMENTS[id] ?? `Z=${id + 1}`);
  return null;
}
