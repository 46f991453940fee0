/**
 * TU datasets from a folder (the format and its semantics: tu_parse.ts, which
 * also parses the zips given to the web page).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphDataset } from './dataset.js';
import { parseTU, type TUOptions } from './tu_parse.js';

export type { TUOptions } from './tu_parse.js';

/** Locate NAME_<part>.txt in dir, dir/raw or dir/NAME (the layouts of the TU zip and of PyG). */
export function tuFile(dir: string, name: string, part: string): string | null {
  for (const d of [dir, join(dir, 'raw'), join(dir, name)]) {
    const p = join(d, `${name}_${part}.txt`);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Whether `dir` holds a TU dataset called `name` (its NAME_A.txt, in any layout tuFile accepts). */
export function isTUFolder(dir: string, name: string): boolean {
  return tuFile(dir, name, 'A') !== null;
}

/** Load a TU-format dataset from `dir` (files named NAME_*.txt). */
export function loadTU(dir: string, name: string, opts: TUOptions = {}): GraphDataset {
  return parseTU({
    find: (part) => tuFile(dir, name, part),
    read: (file) => readFileSync(file),
    missing: (part) => join(dir, `${name}_${part}.txt`),
  }, name, opts);
}
