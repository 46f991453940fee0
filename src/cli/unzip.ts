/** A minimal zip reader (stored and deflated entries) for dataset downloads. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** Extracts every file of a zip archive under `dest`; returns the number of files. */
export function extractZip(buf: Uint8Array, dest: string): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // End of central directory: signature 0x06054b50 within the last 64 KiB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error('unzip: not a zip archive (no end-of-central-directory record)');
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  let files = 0;
  for (let k = 0; k < count; k++) {
    if (dv.getUint32(p, true) !== 0x02014b50) throw new Error('unzip: corrupt central directory');
    const method = dv.getUint16(p + 10, true), csize = dv.getUint32(p + 20, true);
    const nlen = dv.getUint16(p + 28, true), xlen = dv.getUint16(p + 30, true), clen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nlen));
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue;
    const target = normalize(join(dest, name));
    if (!target.startsWith(normalize(dest) + sep)) throw new Error(`unzip: entry ${name} escapes the destination`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    const data = buf.subarray(start, start + csize);
    const out = method === 0 ? data : method === 8 ? inflateRawSync(data) : null;
    if (!out) throw new Error(`unzip: entry ${name} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out);
    files++;
  }
  return files;
}
