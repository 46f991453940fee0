/**
 * Minimal ZIP extraction (stored and deflate members, no ZIP64, no encryption):
 * enough for the TU and OGB dataset archives without a dependency.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry { name: string; data: Buffer }

/** Read every file member of a ZIP archive held in memory. */
export function readZip(buf: Buffer, what = 'archive'): ZipEntry[] {
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${what}: not a ZIP file (no end-of-central-directory record); the download may be truncated`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (p === 0xffffffff || count === 0xffff) throw new Error(`${what}: ZIP64 archives are not supported`);
  const out: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${what}: corrupt central directory (entry ${k})`);
    const method = buf.readUInt16LE(p + 10), csize = buf.readUInt32LE(p + 20), usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28), xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue; // directory
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${what}: corrupt local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`${what}: member ${name} uses compression method ${method}; only stored and deflate are supported`);
    if (data.length !== usize) throw new Error(`${what}: member ${name} has ${data.length} bytes, expected ${usize}; the archive is corrupt`);
    out.push({ name, data });
  }
  return out;
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
