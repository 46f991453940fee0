/**
 * ZIP extraction in Node: the members (zip_format.ts, shared with the web page)
 * inflated by node:zlib and written to a folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { checkMemberSize, zipMembers } from './zip_format.js';

export interface ZipEntry { name: string; data: Buffer }

/** Read every file member of a ZIP archive held in memory. */
export function readZip(buf: Buffer, what = 'archive'): ZipEntry[] {
  return zipMembers(buf, what).map((m) => ({
    name: m.name,
    data: Buffer.from(checkMemberSize(m, m.method === 0 ? m.raw : inflateRawSync(m.raw), what)),
  }));
}

/**
 * Write the members under `dest`, dropping one top-level folder shared by all
 * members (TU: NAME/..., OGB: hiv/...) and macOS metadata (__MACOSX/).
 */
export function extractZip(entries: ZipEntry[], dest: string): void {
  const files = entries.filter((e) => !e.name.startsWith('__MACOSX/'));
  const tops = new Set(files.map((e) => (e.name.includes('/') ? e.name.split('/')[0] : '')));
  const strip = tops.size === 1 && !tops.has('') ? [...tops][0].length + 1 : 0;
  for (const e of files) {
    const rel = normalize(e.name.slice(strip));
    if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`${sep}..${sep}`)) throw new Error(`unsafe path in archive: ${e.name}`);
    const target = join(dest, rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, e.data);
  }
}
