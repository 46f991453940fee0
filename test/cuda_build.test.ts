// The CUDA build (scripts/build-cuda.js) and its GPU test program (native/cuda/test/gfc_test.cu).
//
// Where nvcc exists (every development machine and CI), the install step has built
// build/cuda/libgfc.a and build/cuda/gfc_test, and their absence FAILS this file. The contract is
// checked on the built library: one gfc_ kernel per gf_ kernel of native/gf.h, all defined.
// The GPU program itself runs only where a GPU is present (`nvidia-smi -L` succeeds); elsewhere
// that test is skipped by name. Everywhere (no nvcc needed), the same program is built against the
// CPU emulation of CUDA (scripts/build-cuda-emu.js) and run: every CUDA kernel's indexing, bounds,
// barriers and arithmetic are checked against the C kernels on every CI run. The program's no-GPU path (one clear line, exit code 2) is checked
// everywhere, with CUDA_VISIBLE_DEVICES empty so that a present GPU is hidden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..');
const lib = join(root, 'build', 'cuda', 'libgfc.a');
const exe = join(root, 'build', 'cuda', 'gfc_test');
const script = join(root, 'scripts', 'build-cuda.js');
const emuScript = join(root, 'scripts', 'build-cuda-emu.js');
const emuExe = join(root, 'build', 'cuda-emu', 'gfc_test_emu');

// The build script's own detection of nvcc (--which builds nothing).
const which = spawnSync(process.execPath, [script, '--which'], { encoding: 'utf8' });
const nvcc = which.status === 0 && which.stdout.trim() !== '';
const gpu = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' }).status === 0;

/** The kernel names of native/gf.h that gfc.h must mirror (not the thread knobs, not gf_gemm_serial). */
function gfKernels(): string[] {
  const h = readFileSync(join(root, 'native', 'gf.h'), 'utf8');
  const names = [...h.matchAll(/^\s*(?:int|void|double)\s+(gf_\w+)\s*\(/gm)].map((m) => m[1]);
  return names.filter((n) => !['gf_threads', 'gf_set_threads', 'gf_threads_for', 'gf_gemm_serial'].includes(n));
}

test('build-cuda.js without nvcc prints one line and exits 0', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, NVCC: 'none' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
  assert.match(r.stdout, /CUDA kernels were not built; the CPU backend is unaffected/);
});

test('gfc.h declares a gfc_ twin of every gf_ kernel, with the same parameters (+ double *result)', () => {
  const gf = readFileSync(join(root, 'native', 'gf.h'), 'utf8');
  const gfc = readFileSync(join(root, 'native', 'cuda', 'gfc.h'), 'utf8');
  const params = (src: string, name: string): { ret: string; args: string } => {
    const m = new RegExp(`(int|void|double)\\s+${name}\\s*\\(([^;]*)\\);`).exec(src);
    assert.ok(m, `${name} is not declared`);
    return { ret: m[1], args: m[2].replace(/\/\*[^*]*\*\//g, '').replace(/\s+/g, ' ').trim() };
  };
  const kernels = gfKernels();
  assert.ok(kernels.length >= 30, `only ${kernels.length} kernels parsed from gf.h`);
  for (const k of kernels) {
    const a = params(gf, k), b = params(gfc, 'gfc' + k.slice(2));
    assert.equal(b.ret, 'int', `gfc${k.slice(2)} must return an error code`);
    assert.equal(b.args, a.ret === 'double' ? `${a.args}, double *result` : a.args, `gfc${k.slice(2)}'s parameters`);
  }
});

test('the CUDA library and the GPU test program were built', (t) => {
  if (!nvcc) { t.skip('no nvcc: the CUDA build is skipped where the toolkit is absent'); return; }
  assert.ok(existsSync(lib), `${lib} is missing: run npm run build:cuda`);
  assert.ok(existsSync(exe), `${exe} is missing: run npm run build:cuda`);
  const members = spawnSync('ar', ['t', lib], { encoding: 'utf8' }).stdout.split('\n');
  for (const f of readdirSync(join(root, 'native', 'cuda')).filter((x) => x.endsWith('.cu')))
    assert.ok(members.includes(f.replace(/\.cu$/, '.o')), `libgfc.a lacks ${f}`);
  const syms = spawnSync('nm', ['-g', '--defined-only', lib], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  const runtime = ['gfc_init', 'gfc_alloc', 'gfc_free', 'gfc_upload', 'gfc_download', 'gfc_copy', 'gfc_zero',
    'gfc_sync', 'gfc_bytes_in_use', 'gfc_peak_bytes', 'gfc_reset_peak', 'gfc_last_error', 'gfc_set_tf32'];
  for (const s of [...runtime, ...gfKernels().map((k) => 'gfc' + k.slice(2))])
    assert.match(syms, new RegExp(` T ${s}$`, 'm'), `libgfc.a does not define ${s}`);
});

test('gfc_test: every CUDA kernel against its C twin on the GPU', (t) => {
  if (!nvcc) { t.skip('no nvcc: the GPU test program was not built'); return; }
  if (!gpu) { t.skip('no GPU: nvidia-smi -L found none, so the CUDA kernels cannot run here'); return; }
  const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, (r.stdout.split('\n').filter((l) => l.startsWith('FAIL')).join('\n') || r.stdout) + r.stderr);
  assert.match(r.stdout, /gfc_test: \d+ cases, 0 failed/);
});

test('gfc_test without a GPU says why in one line and exits 2', (t) => {
  if (!nvcc) { t.skip('no nvcc: the GPU test program was not built'); return; }
  const env = { ...process.env, CUDA_VISIBLE_DEVICES: '' };
  const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 60_000, env });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stdout.trim(), /^gfc_test: no GPU to test on: no CUDA device: .+$/);
});

test('every CUDA kernel, run on the CPU emulation of CUDA, matches its C twin', () => {
  const b = spawnSync(process.execPath, [emuScript], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stdout + b.stderr);
  // --small: the cases under 16 MB of arrays (the 8-head 520-node attention cases need the GPU)
  const r = spawnSync(emuExe, ['--small'], { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 << 20 });
  const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL')).join('\n');
  assert.equal(r.status, 0, (fails || r.stdout.slice(-2000)) + r.stderr);
  const m = /gfc_test: (\d+) cases, 0 failed/.exec(r.stdout);
  assert.ok(m && Number(m[1]) > 900, r.stdout.slice(-500));
});
