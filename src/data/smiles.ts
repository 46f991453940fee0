/**
 * Small SMILES helpers that need no chemistry engine: a CSV reader for the
 * SMILES tables (MoleculeNet style: header row, quoted fields allowed) and a
 * tokenizer for the atoms and bonds of a (kekulé) SMILES string, used to read
 * RDKit's canonical kekulé SMILES "without sanitisation" as the ZINC benchmark did.
 */
import { DataError } from './errors.js';

export interface CsvTable {
  header: string[];
  /** rows[r][c]; row r is on file line lines[r] (1-based). */
  rows: string[][];
  lines: number[];
}

/** Parse CSV text (RFC 4180 quoting, CRLF tolerated, blank lines skipped). */
export function parseCsv(text: string, file: string): CsvTable {
  const rows: string[][] = [], lines: number[] = [];
  let field = '', row: string[] = [], line = 1, rowLine = 1, inQuotes = false, sawAny = false;
  const endRow = (): void => {
    row.push(field); field = '';
    if (row.length > 1 || row[0] !== '') { rows.push(row); lines.push(rowLine); }
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else inQuotes = false;
      } else { if (c === '\n') line++; field += c; }
      continue;
    }
    if (c === '"' && field === '') { inQuotes = true; sawAny = true; }
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { endRow(); line++; rowLine = line; }
    else if (c === '\r') { /* CRLF */ }
    else { field += c; sawAny = true; }
  }
  if (inQuotes) throw new DataError(file, rowLine, 'unterminated quoted field');
  if (field !== '' || row.length) endRow();
  if (!sawAny || rows.length === 0) throw new DataError(file, 0, 'empty CSV file (expected a header row)');
  const header = rows.shift()!.map((h) => h.trim());
  lines.shift();
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].length !== header.length) {
      throw new DataError(file, lines[r], `expected ${header.length} fields (${header.join(',')}), got ${rows[r].length}`);
    }
  }
  return { header, rows, lines };
}

/**
 * The SMILES column of a molecule CSV (header row; the column the molecule CSV
 * loader reads, `smiles` unless named), blank cells dropped, with their file lines.
 */
export function readSmilesCsv(text: string, file: string, column = 'smiles'): { smiles: string[]; lines: number[] } {
  const table = parseCsv(text, file);
  const c = table.header.indexOf(column);
  if (c < 0) throw new DataError(file, 1, `no column '${column}' (header: ${table.header.join(', ')})`);
  const smiles: string[] = [], lines: number[] = [];
  table.rows.forEach((r, k) => {
    const s = r[c].trim();
    if (s) { smiles.push(s); lines.push(table.lines[k]); }
  });
  if (smiles.length === 0) throw new DataError(file, 0, `column '${column}' holds no SMILES`);
  return { smiles, lines };
}

/** One atom of a SMILES string, in order of appearance. */
export interface SmilesAtom {
  symbol: string;
  /** True for [bracket] atoms. */
  bracket: boolean;
  aromatic: boolean;
  /** Hs written inside the brackets ([NH3+] -> 3); 0 for organic-subset atoms. */
  hCount: number;
  charge: number;
  isotope: number;
  chirality: string;
}

/** One bond: atoms a < b are indices into atoms; order 1, 2, 3, or 1.5 for ':' / implied aromatic. */
export interface SmilesBond { a: number; b: number; order: number }

const ORGANIC = ['Cl', 'Br', 'B', 'C', 'N', 'O', 'P', 'S', 'F', 'I', 'b', 'c', 'n', 'o', 'p', 's'];

/**
 * Tokenize a SMILES into atoms (order of appearance) and bonds. No valence or
 * aromaticity perception: exactly what is written. Throws on syntax errors.
 */
export function tokenizeSmiles(smiles: string): { atoms: SmilesAtom[]; bonds: SmilesBond[] } {
  const atoms: SmilesAtom[] = [], bonds: SmilesBond[] = [];
  const branch: number[] = [];
  const rings = new Map<number, { atom: number; order: number }>();
  let prev = -1, pendingOrder = 0, i = 0;
  const err = (msg: string): never => { throw new Error(`SMILES ${JSON.stringify(smiles)} at position ${i}: ${msg}`); };
  const bondOrder = (x: number, y: number, explicit: number): number =>
    explicit || (atoms[x].aromatic && atoms[y].aromatic ? 1.5 : 1);
  const addAtom = (a: SmilesAtom): void => {
    const idx = atoms.length;
    atoms.push(a);
    if (prev >= 0) bonds.push({ a: Math.min(prev, idx), b: Math.max(prev, idx), order: bondOrder(prev, idx, pendingOrder) });
    pendingOrder = 0; prev = idx;
  };
  while (i < smiles.length) {
    const c = smiles[i];
    if (c === '[') {
      const close = smiles.indexOf(']', i);
      if (close < 0) err('unclosed [');
      const m = /^(\d*)([A-Z][a-z]?|[a-z][a-z]?|\*)(@*)(?:H(\d*))?([+-]+\d*)?(?::\d+)?$/.exec(smiles.slice(i + 1, close));
      if (!m) err(`cannot read bracket atom [${smiles.slice(i + 1, close)}]`);
      const [, iso, sym, chir, h, chg] = m!;
      let charge = 0;
      if (chg) {
        const sign = chg[0] === '+' ? 1 : -1;
        const digits = chg.replace(/[+-]/g, '');
        charge = sign * (digits ? Number(digits) : chg.length);
      }
      const aromatic = sym[0] === sym[0].toLowerCase() && sym !== '*';
      addAtom({ symbol: aromatic ? sym[0].toUpperCase() + sym.slice(1) : sym, bracket: true, aromatic,
        hCount: h === undefined ? 0 : (h === '' ? 1 : Number(h)), charge, isotope: iso ? Number(iso) : 0, chirality: chir });
      i = close + 1;
    } else if (/[A-Za-z*]/.test(c)) {
      const sym = ORGANIC.find((s) => smiles.startsWith(s, i)) ?? (c === '*' ? '*' : err(`unknown atom '${c}'`));
      const aromatic = sym[0] === sym[0].toLowerCase() && sym !== '*';
      addAtom({ symbol: aromatic ? sym.toUpperCase() : sym, bracket: false, aromatic, hCount: 0, charge: 0, isotope: 0, chirality: '' });
      i += sym.length;
    } else if (c === '(') { if (prev < 0) err('branch before any atom'); branch.push(prev); i++; }
    else if (c === ')') { if (!branch.length) err('unbalanced )'); prev = branch.pop()!; i++; }
    else if (c === '-' || c === '/' || c === '\\') { pendingOrder = 1; i++; }
    else if (c === '=') { pendingOrder = 2; i++; }
    else if (c === '#') { pendingOrder = 3; i++; }
    else if (c === ':') { pendingOrder = 1.5; i++; }
    else if (c === '.') { prev = -1; pendingOrder = 0; i++; }
    else if (/[0-9%]/.test(c)) {
      let num: number;
      if (c === '%') { num = Number(smiles.slice(i + 1, i + 3)); i += 3; } else { num = Number(c); i++; }
      if (prev < 0) err('ring closure before any atom');
      const open = rings.get(num);
      if (open) {
        const order = bondOrder(open.atom, prev, pendingOrder || open.order);
        bonds.push({ a: Math.min(open.atom, prev), b: Math.max(open.atom, prev), order });
        rings.delete(num);
      } else rings.set(num, { atom: prev, order: pendingOrder });
      pendingOrder = 0;
    } else err(`unexpected character '${c}'`);
  }
  if (rings.size) err(`unclosed ring bond(s) ${[...rings.keys()].join(',')}`);
  if (branch.length) err('unbalanced (');
  return { atoms, bonds };
}
