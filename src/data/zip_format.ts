/**
 * ZIP archives read from bytes, without Node (the Node reader, unzip.ts, and the
 * web page both use it): the members of the central directory, each with its
 * compressed bytes. Inflating is the caller's (node:zlib in Node,
 * DecompressionStream in a browser). Stored and deflate members, no ZIP64, no
 * encryption: enough for the TU and OGB dataset archives.
 */

/** One file member: its path in the archive, compression method (0 stored, 8 deflate), bytes as stored, and its size once inflated. */
export interface ZipMember { name: string; method: 0 | 8; raw: Uint8Array; size: number }

/** The file members of a ZIP archive held in memory (folders and nothing else skipped); `what` names the archive in errors. */
export function zipMembers(buf: Uint8Array, what = 'archive'): ZipMember[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u32 = (i: number) => dv.getUint32(i, true), u16 = (i: number) => dv.getUint16(i, true);
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (u32(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${what}: not a ZIP file (no end-of-central-directory record); the download may be truncated`);
  const count = u16(eocd + 10);
  let p = u32(eocd + 16);
  if (p === 0xffffffff || count === 0xffff) throw new Error(`${what}: ZIP64 archives are not supported`);
  const names = new TextDecoder();
  const out: ZipMember[] = [];
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || u32(p) !== 0x02014b50) throw new Error(`${what}: corrupt central directory (entry ${k})`);
    const method = u16(p + 10), csize = u32(p + 20), usize = u32(p + 24);
    const nlen = u16(p + 28), xlen = u16(p + 30), clen = u16(p + 32);
    const local = u32(p + 42);
    const name = names.decode(buf.subarray(p + 46, p + 46 + nlen));
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue; // directory
    if (local + 30 > buf.length || u32(local) !== 0x04034b50) throw new Error(`${what}: corrupt local header for ${name}`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + csize > buf.length) throw new Error(`${what}: member ${name} runs past the end of the archive; the archive is truncated`);
    if (method !== 0 && method !== 8) throw new Error(`${what}: member ${name} uses compression method ${method}; only stored and deflate are supported`);
    out.push({ name, method, raw: buf.subarray(start, start + csize), size: usize });
  }
  return out;
}

/** Checks an inflated member against the size the archive records. */
export function checkMemberSize(m: ZipMember, data: Uint8Array, what = 'archive'): Uint8Array {
  if (data.length !== m.size) throw new Error(`${what}: member ${m.name} has ${data.length} bytes, expected ${m.size}; the archive is corrupt`);
  return data;
}
