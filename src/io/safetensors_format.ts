/**
 * safetensors read/write (https://github.com/huggingface/safetensors): 8-byte
 * little-endian header length N, N bytes of JSON {name: {dtype, shape,
 * data_offsets}}, then the raw little-endian data. The format is a page long,
 * so it is written here rather than pulled in as a dependency. Bytes in, bytes
 * out, nothing from Node: the browser build uses it as is (files: safetensors.ts).
 */
import { DataError } from '../data/errors.js';

/** The safetensors dtypes read and written here; others are refused with a DataError. */
export type DType = 'F32' | 'F64' | 'I64' | 'I32' | 'U16' | 'U8';

/** One tensor of a safetensors file: its dtype, shape (row-major) and values. */
export interface StoredTensor {
  dtype: DType;
  shape: number[];
  /** Values: F32/F64 -> Float32Array/Float64Array, I64 -> BigInt64Array, I32 -> Int32Array, U16, U8. */
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array;
}

const BYTES: Record<DType, number> = { F32: 4, F64: 8, I64: 8, I32: 4, U16: 2, U8: 1 };

/** Values of a stored tensor as plain numbers (int64 converted exactly when < 2^53). */
export function toNumbers(t: StoredTensor): Float64Array | Float32Array | Int32Array | Uint16Array | Uint8Array {
  if (t.data instanceof BigInt64Array) return Float64Array.from(t.data, (v) => Number(v));
  return t.data;
}

/** Parses a safetensors buffer; `source` names it in errors. Copies data into aligned arrays. */
export function parseSafetensors(buf: Uint8Array, source = 'safetensors'): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new DataError(source, 0, `file is ${buf.length} bytes, too short for a safetensors header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > buf.length - 8) throw new DataError(source, 0, `header length ${n} runs past the end of the file (${buf.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw new DataError(source, 0, `header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: off } = info as { dtype: DType; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new DataError(source, 0, `tensor ${name} has unsupported dtype ${dtype} (supported: ${Object.keys(BYTES).join(', ')})`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== count * BYTES[dtype] || base + off[1] > buf.length) {
      throw new DataError(source, 0, `tensor ${name} [${shape.join(', ')}] ${dtype} has data_offsets ${off.join('..')} that do not fit`);
    }
    // Copy (Uint8Array.prototype.slice, since Buffer#slice is a view): aligned for any element type.
    const bytes = Uint8Array.prototype.slice.call(buf, base + off[0], base + off[1]);
    const ab = bytes.buffer;
    const data = dtype === 'F32' ? new Float32Array(ab) : dtype === 'F64' ? new Float64Array(ab)
      : dtype === 'I64' ? new BigInt64Array(ab) : dtype === 'I32' ? new Int32Array(ab)
        : dtype === 'U16' ? new Uint16Array(ab) : new Uint8Array(ab);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}

/** Serialises tensors (in the given order) to a safetensors buffer. */
export function serializeSafetensors(tensors: Map<string, StoredTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  // Widest dtypes first keeps every tensor aligned to its element size.
  const entries = [...tensors.entries()].sort((a, b) => BYTES[b[1].dtype] - BYTES[a[1].dtype]);
  for (const [name, t] of entries) {
    const len = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + len] };
    off += len;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let pos = 8 + hbytes.length;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
