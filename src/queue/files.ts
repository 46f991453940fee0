/**
 * A run folder as bytes and back: how checkpoints and finished runs travel
 * through Redis. Paths are relative with '/' separators; unpacking refuses any
 * path that would leave the target folder, since the bytes come from the network.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';

/** Relative path -> content. */
export type PackedFiles = Record<string, Uint8Array>;

/** Every file under `dir` (recursively) whose relative path passes `keep`. */
export function packDir(dir: string, keep: (rel: string) => boolean = () => true): PackedFiles {
  const out: PackedFiles = {};
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
      else if (keep(rel)) out[rel] = readFileSync(join(dir, rel));
    }
  };
  walk('');
  return out;
}

/** Whether a packed path stays inside its folder (no absolute path, no '..', no empty part). */
export function safeRelPath(rel: string): boolean {
  if (rel === '' || isAbsolute(rel) || rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((p) => p !== '' && p !== '.' && p !== '..') && !normalize(rel).startsWith(`..${sep}`);
}

/** Writes packed files into `dir` (created); throws on an unsafe path before writing anything. */
export function unpackInto(files: PackedFiles, dir: string): void {
  for (const rel of Object.keys(files)) if (!safeRelPath(rel)) throw new Error(`refusing to write ${JSON.stringify(rel)}: not a relative path inside the run folder`);
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, ...rel.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(dir, ...rel.split('/')), data);
  }
}

/** Writes packed files as folder `dir` atomically: into a temporary sibling, then renamed into place (dir must not exist). */
export function writeFolderAtomic(files: PackedFiles, dir: string): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    unpackInto(files, tmp);
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
