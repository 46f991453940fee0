/**
 * Minimal safetensors reader for the test fixtures: 8-byte LE header length,
 * JSON header, raw data. Only the dtypes the fixtures use (F32, I64).
 */
import { readFileSync } from 'node:fs';

export interface StTensor { dtype: 'F32' | 'I64'; shape: number[]; data: Float32Array | BigInt64Array }

export function readSafetensors(path: string): Map<string, StTensor> {
  const buf = readFileSync(path);
  const hlen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')) as Record<string, any>;
  const base = 8 + hlen;
  const out = new Map<string, StTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = info.data_offsets as [number, number];
    const bytes = buf.subarray(base + b, base + e);
    const copy = new Uint8Array(bytes); // copy: alignment of the Buffer's offset is not guaranteed
    let data: Float32Array | BigInt64Array;
    if (info.dtype === 'F32') data = new Float32Array(copy.buffer, 0, copy.length / 4);
    else if (info.dtype === 'I64') data = new BigInt64Array(copy.buffer, 0, copy.length / 8);
    else throw new Error(`${path}: tensor ${name} has dtype ${info.dtype}; only F32 and I64 are supported`);
    out.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return out;
}

/** I64 tensor as plain numbers. */
export function toNumbers(t: StTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}
