/**
 * Fast strict parsers for the plain numeric text tables of the dataset formats
 * (TU `.txt`, OGB `.csv`): one row per line, fields separated by commas (with
 * optional spaces) or by whitespace. Scans bytes directly, no split/map.
 *
 * Tolerated: a UTF-8 byte-order mark (files saved by Windows editors), CRLF,
 * spaces/tabs around fields, leading zeros, `+`/`-` signs, blank lines at the
 * end of the file. Everything else (a non-numeric token, a
 * wrong field count, a blank line in the middle) is a DataError with the line.
 */
import { DataError } from './errors.js';

export interface IntTable { rows: number; cols: number; data: Int32Array }
export interface FloatTable { rows: number; cols: number; data: Float64Array }

export interface TableOptions {
  /** Required fields per line; when omitted, taken from the first line and enforced after. */
  cols?: number;
  /** Words for messages, e.g. "node id pair" -> "expected 2 values (node id pair)". */
  what?: string;
  /** Float tables only: an empty field or `nan` reads as NaN (OGB missing labels). */
  allowMissing?: boolean;
}

const SP = 32, TAB = 9, CR = 13, LF = 10, COMMA = 44, MINUS = 45, PLUS = 43;

function countLines(buf: Uint8Array): number {
  let n = 1;
  for (let i = 0, len = buf.length; i < len; i++) if (buf[i] === LF) n++;
  return n;
}

function tokenText(buf: Uint8Array, a: number, b: number): string {
  let s = '';
  for (let i = a; i < b && i < a + 40; i++) s += String.fromCharCode(buf[i]);
  return b - a > 40 ? s + '...' : s;
}

/** True when only whitespace remains from position i to the end. */
function onlyWhitespaceLeft(buf: Uint8Array, i: number): boolean {
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (c !== SP && c !== TAB && c !== CR && c !== LF) return false;
  }
  return true;
}

type FieldParser = (buf: Uint8Array, a: number, b: number, line: number) => number;

function scan<T extends Int32Array | Float64Array>(
  buf: Uint8Array, file: string, opts: TableOptions, make: (n: number) => T, parseField: FieldParser,
): { rows: number; cols: number; data: T } {
  const what = opts.what ? ` (${opts.what})` : '';
  let cols = opts.cols ?? -1;
  let cap = cols > 0 ? countLines(buf) * cols : 0;
  let data = make(cap);
  let w = 0, rows = 0, line = 0;
  let i = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  const n = buf.length;
  while (i < n) {
    line++;
    // Find the end of this line.
    let end = buf.indexOf(LF, i);
    if (end === -1) end = n;
    let k = 0; // fields on this line
    let p = i;
    let blank = true;
    for (let q = i; q < end; q++) { const c = buf[q]; if (c !== SP && c !== TAB && c !== CR) { blank = false; break; } }
    if (blank) {
      if (onlyWhitespaceLeft(buf, end)) break; // trailing blank lines
      throw new DataError(file, line, `empty line; expected ${cols > 0 ? cols : 'one or more'} comma-separated values${what}`);
    }
    for (;;) {
      while (p < end && (buf[p] === SP || buf[p] === TAB || buf[p] === CR)) p++;
      const a = p;
      while (p < end) { const c = buf[p]; if (c === COMMA || c === SP || c === TAB || c === CR) break; p++; }
      const b = p;
      while (p < end && (buf[p] === SP || buf[p] === TAB || buf[p] === CR)) p++;
      const sep = p < end && buf[p] === COMMA;
      if (cols > 0 && k >= cols) {
        throw new DataError(file, line, `expected ${cols} values${what}, found more ("${tokenText(buf, i, end)}")`);
      }
      if (cols < 0) {
        // First line decides the width: grow storage lazily.
        if (w >= data.length) { const nd = make(Math.max(16, data.length * 2)); nd.set(data); data = nd; }
      }
      data[w++] = parseField(buf, a, b, line);
      k++;
      if (sep) { p++; continue; }
      if (p >= end) break;
      // whitespace-separated next field: loop continues at p
    }
    if (cols < 0) {
      cols = k;
      cap = countLines(buf) * cols;
      const nd = make(cap); nd.set(data.subarray(0, w)); data = nd;
    } else if (k !== cols) {
      throw new DataError(file, line, `expected ${cols} values${what}, found ${k} ("${tokenText(buf, i, end)}")`);
    }
    rows++;
    i = end + 1;
  }
  if (cols < 0) cols = opts.cols ?? 0;
  return { rows, cols, data: data.subarray(0, w) as T };
}

/**
 * Fast path for well-formed integer tables: one pass over the bytes, no
 * per-field calls. Returns null at the first thing it does not expect; the
 * general scanner then re-reads the file and reports the exact problem.
 */
function fastInts(b: Uint8Array, wantCols: number): IntTable | null {
  // A plain Uint8Array view keeps the element loads monomorphic (Buffer is a subclass).
  const buf = new Uint8Array(b.buffer, b.byteOffset, b.length);
  const n = buf.length;
  let cols = wantCols;
  if (cols <= 0) {
    // Width from the first line: fields = commas + 1.
    const nl = buf.indexOf(LF);
    const end = nl === -1 ? n : nl;
    cols = 1;
    for (let i = 0; i < end; i++) if (buf[i] === COMMA) cols++;
  }
  const out = new Int32Array(countLines(buf) * cols);
  let w = 0, k = 0, v = 0, neg = false, digits = false, ended = false, rows = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      if (ended) return null;
      v = v * 10 + (c - 48);
      if (v > 2147483647) return null;
      digits = true;
    } else if (c === COMMA) {
      if (!digits || k + 1 >= cols) return null;
      out[w++] = neg ? -v : v;
      k++; v = 0; neg = false; digits = false; ended = false;
    } else if (c === LF) {
      if (!digits || k + 1 !== cols) return null;
      out[w++] = neg ? -v : v;
      rows++; k = 0; v = 0; neg = false; digits = false; ended = false;
    } else if (c === SP || c === CR || c === TAB) {
      if (digits) ended = true;
      else if (neg) return null;
    } else if (c === MINUS && !digits && !neg) {
      neg = true;
    } else {
      return null;
    }
  }
  if (digits) {
    if (k + 1 !== cols) return null;
    out[w++] = neg ? -v : v;
    rows++;
  } else if (k !== 0 || neg) {
    return null;
  }
  return { rows, cols: rows === 0 ? Math.max(wantCols, 0) : cols, data: out.subarray(0, w) };
}

/** Parse a table of integers (int32 range). */
export function parseIntTable(buf: Uint8Array, file: string, opts: TableOptions = {}): IntTable {
  const fast = buf.length > 0 ? fastInts(buf, opts.cols ?? -1) : null;
  if (fast) return fast;
  return scan(buf, file, opts, (n) => new Int32Array(n), (b, a, e, line) => {
    let p = a, neg = false;
    if (p < e && (b[p] === MINUS || b[p] === PLUS)) { neg = b[p] === MINUS; p++; }
    if (p >= e) throw new DataError(file, line, `${a === e ? 'empty field' : `"${tokenText(b, a, e)}" is not an integer`}; expected an integer`);
    let v = 0;
    for (; p < e; p++) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) {
        // Accept integral floats such as "1.0" or "2e0" (some exports write them).
        const f = Number(tokenText(b, a, e));
        if (Number.isInteger(f) && Math.abs(f) <= 2147483647) return f;
        throw new DataError(file, line, `"${tokenText(b, a, e)}" is not an integer; expected an integer`);
      }
      v = v * 10 + d;
      if (v > 2147483648) throw new DataError(file, line, `"${tokenText(b, a, e)}" is out of the int32 range`);
    }
    if (!neg && v > 2147483647) throw new DataError(file, line, `"${tokenText(b, a, e)}" is out of the int32 range`);
    return neg ? -v : v;
  });
}

/** Parse a table of real numbers. */
export function parseFloatTable(buf: Uint8Array, file: string, opts: TableOptions = {}): FloatTable {
  return scan(buf, file, opts, (n) => new Float64Array(n), (b, a, e, line) => {
    if (a === e) {
      if (opts.allowMissing) return NaN;
      throw new DataError(file, line, 'empty field; expected a number');
    }
    const s = tokenText(b, a, e);
    const v = Number(s);
    if (Number.isNaN(v)) {
      if (opts.allowMissing && s.toLowerCase() === 'nan') return NaN;
      throw new DataError(file, line, `"${s}" is not a number`);
    }
    return v;
  });
}
