/**
 * Dataset download into the cache folder: fetch the archive, check its sha256
 * (the registry's value when known; otherwise trust on first use: the hash is
 * recorded in <cache>/checksums.json and later downloads of the same URL must
 * match it), extract to a temporary folder and rename it into place, so an
 * interrupted download never leaves a half-extracted dataset behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractZip, readZip } from './unzip.js';

export interface DownloadSpec { name: string; url: string; sha256?: string }

/** Marker written last into a complete dataset folder. */
export const COMPLETE_MARKER = '.gradformer-complete.json';

export function isComplete(dir: string): boolean {
  return existsSync(join(dir, COMPLETE_MARKER));
}

function readChecksums(file: string): Record<string, string> {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return {}; }
}

/** Download and extract `spec` into <cacheDir>/<name>/; returns that folder. */
export async function downloadDataset(spec: DownloadSpec, cacheDir: string, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<string> {
  const dest = join(cacheDir, spec.name);
  if (isComplete(dest)) return dest;
  mkdirSync(cacheDir, { recursive: true });
  log(`downloading ${spec.name} from ${spec.url} ...`);
  let bytes: Buffer;
  try {
    const res = await fetch(spec.url);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new Error(`cannot download ${spec.name} from ${spec.url} (${why}). If this machine is offline, copy the dataset files into <dir>/${spec.name}/ and pass --data-root <dir> (root option).`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  const sumsFile = join(cacheDir, 'checksums.json');
  const sums = readChecksums(sumsFile);
  const expected = spec.sha256 ?? sums[spec.url];
  if (expected && expected !== sha) {
    throw new Error(`checksum mismatch for ${spec.url}: sha256 ${sha}, expected ${expected}` +
      (spec.sha256 ? '' : ` (recorded at the first download in ${sumsFile}; delete that entry if the upstream file really changed)`));
  }
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  try {
    extractZip(readZip(bytes, spec.url), tmp);
    writeFileSync(join(tmp, COMPLETE_MARKER), JSON.stringify({ url: spec.url, sha256: sha, bytes: bytes.length, downloaded: new Date().toISOString() }, null, 1));
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (!expected) {
    sums[spec.url] = sha;
    const t = `${sumsFile}.tmp-${process.pid}`;
    writeFileSync(t, JSON.stringify(sums, null, 1));
    renameSync(t, sumsFile);
    log(`recorded sha256 ${sha} for ${spec.url} in ${sumsFile}`);
  }
  return dest;
}
