#!/usr/bin/env node
// Builds the CUDA addon, build/Release/gradformer_cuda.node: the Node-API glue
// (native/cuda/addon.c and the generated native/gen/cuda_kernels.c) linked with
// the CUDA kernels' static library build/cuda/libgfc.a (made by
// scripts/build-cuda.js from native/cuda/*.cu) and the static CUDA runtime, so
// the addon needs only the NVIDIA driver at run time.
//
//   node scripts/build-cuda-addon.js           (npm install) skips with one line when
//                                              nvcc or the kernels are missing, and
//                                              never fails the install: the CPU
//                                              package does not depend on CUDA
//   node scripts/build-cuda-addon.js --strict  (CI) any missing piece or compile error fails
//   node scripts/build-cuda-addon.js --emu     build/cuda-emu/gradformer_cuda_emu.node: the same glue
//                                              linked with the kernels compiled against the CPU
//                                              emulation of CUDA (native/cuda/test/emu, via
//                                              scripts/build-cuda-emu.js): the whole CUDA path
//                                              runs without a GPU (npm run test:cuda-emu); only a
//                                              C++ compiler is needed
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// --emu is asked for on purpose (a test run follows): a failed build must not pass as a skip.
const strict = process.argv.includes('--strict') || process.argv.includes('--emu');
const OUT = join(ROOT, 'build', 'Release', 'gradformer_cuda.node');

function skip(why) {
  if (strict) {
    console.error(`build-cuda-addon: ${why}`);
    process.exit(1);
  }
  console.warn(`gradformer: CUDA addon not built (${why}); the CPU backends are unaffected.`);
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write((r.stdout || '') + (r.stderr || ''));
    skip(`${cmd} ${args.slice(0, 3).join(' ')} ... failed${r.error ? `: ${r.error.message}` : ''}`);
  }
}

/** nvcc as scripts/build-cuda.js finds it: NVCC (none = skip), CUDA_HOME, PATH, /usr/local/cuda. */
function findNvcc() {
  if (process.env.NVCC === 'none') return null;
  if (process.env.NVCC && existsSync(process.env.NVCC)) return process.env.NVCC;
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const home of [process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean)) {
    const p = join(home, 'bin', 'nvcc');
    if (existsSync(p)) return p;
  }
  return null;
}

/** Directory holding libcudart_static.a, found from nvcc's location. */
function cudaLibDir(nvcc) {
  const r = spawnSync('sh', ['-c', `readlink -f "${nvcc}" 2>/dev/null || echo "${nvcc}"`], { encoding: 'utf8' });
  const home = dirname(dirname(r.stdout.trim() || nvcc));
  for (const home2 of [home, process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean)) {
    for (const d of ['lib64', 'targets/x86_64-linux/lib', 'lib']) {
      if (existsSync(join(home2, d, 'libcudart_static.a'))) return join(home2, d);
    }
  }
  return null;
}

/** Node's C headers (node_api.h): beside the node binary, npm's nodedir, or node-gyp's cache. */
function nodeInclude() {
  const cands = [
    join(dirname(dirname(process.execPath)), 'include', 'node'),
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    '/usr/include/node',
  ];
  const cache = join(process.env.HOME || '/root', '.cache', 'node-gyp', process.versions.node, 'include', 'node');
  cands.push(cache);
  return cands.find((d) => d && existsSync(join(d, 'node_api.h'))) ?? null;
}

if (process.argv.includes('--emu')) buildEmu();

/** The emulated addon: kernels rewritten by build-cuda-emu.js, compiled for the CPU with -fPIC. */
function buildEmu() {
  const emuOut = join(ROOT, 'build', 'cuda-emu');
  const src = join(emuOut, 'src');
  // Always: it rewrites the kernels' sources into build/cuda-emu/src when any input changed (and
  // returns at once when none did); run only when src was missing, an edited .cu went unseen.
  run(process.execPath, ['scripts/build-cuda-emu.js']);
  const inc = nodeInclude();
  if (!inc) skip('node_api.h not found (install the Node.js headers)');
  const objDir = join(emuOut, 'addon-obj');
  mkdirSync(objDir, { recursive: true });
  const emuDir = join(ROOT, 'native', 'cuda', 'test', 'emu');
  const cxxFlags = ['-std=c++17', '-O2', '-fPIC', '-ffp-contract=off', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-unknown-pragmas',
    '-I', src, '-I', emuDir, '-I', 'native'];
  const objs = [...readdirSync(src).filter((f) => f.endsWith('.cpp')).map((f) => join(src, f)), join(emuDir, 'emu.cpp')].map((f) => {
    const o = join(objDir, f.replace(/^.*\//, '').replace(/\.cpp$/, '.o'));
    run('c++', [...cxxFlags, '-c', f, '-o', o]);
    return o;
  });
  for (const f of ['cuda/addon', 'gen/cuda_kernels']) {
    const o = join(objDir, `${f.replace('/', '_')}.o`);
    run('gcc', ['-O2', '-std=c11', '-fPIC', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror', `-I${inc}`, '-Inative', '-c', `native/${f}.c`, '-o', o]);
    objs.push(o);
  }
  const out = join(emuOut, 'gradformer_cuda_emu.node');
  const tmp = `${out}.tmp-${process.pid}`;
  run('c++', ['-shared', '-o', tmp, ...objs, '-fopenmp', '-lm']);
  renameSync(tmp, out);
  console.log(`build-cuda-addon: wrote ${out} (CUDA emulated on the CPU)`);
  process.exit(0);
}

const nvcc = findNvcc();
if (!nvcc) skip(process.env.NVCC === 'none' ? 'NVCC=none' : 'nvcc not found; install the CUDA toolkit (13 or newer) to build it');
if (!existsSync(join(ROOT, 'native', 'cuda', 'gfc.h'))) skip('native/cuda/gfc.h is missing');
const lib = join(ROOT, 'build', 'cuda', 'libgfc.a');
if (!existsSync(lib)) {
  const cus = existsSync(join(ROOT, 'native', 'cuda')) ? readdirSync(join(ROOT, 'native', 'cuda')).filter((f) => f.endsWith('.cu')) : [];
  if (cus.length === 0) skip('the CUDA kernels (native/cuda/*.cu) are not in this checkout');
  if (!existsSync(join(ROOT, 'scripts', 'build-cuda.js'))) skip('scripts/build-cuda.js, which builds build/cuda/libgfc.a, is missing');
  run(process.execPath, ['scripts/build-cuda.js']);
  if (!existsSync(lib)) skip('scripts/build-cuda.js made no build/cuda/libgfc.a');
}
const libDir = cudaLibDir(nvcc);
if (!libDir) skip(`libcudart_static.a not found near ${nvcc}`);
const inc = nodeInclude();
if (!inc) skip('node_api.h not found (install the Node.js headers: npm config set nodedir, or node-gyp install)');

mkdirSync(dirname(OUT), { recursive: true });
const objDir = join(ROOT, 'build', 'cuda-addon');
mkdirSync(objDir, { recursive: true });
const objs = ['cuda/addon', 'gen/cuda_kernels'].map((f) => {
  const o = join(objDir, `${f.replace('/', '_')}.o`);
  run('gcc', ['-O2', '-std=c11', '-fPIC', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror', `-I${inc}`, '-Inative', '-c', `native/${f}.c`, '-o', o]);
  return o;
});
// g++ links: the static CUDA runtime needs the C++ runtime. Written under a
// temporary name, then renamed (atomic: a half-written addon is never loaded).
const tmp = `${OUT}.tmp-${process.pid}`;
run('g++', ['-shared', '-o', tmp, ...objs, lib, `-L${libDir}`, '-lcudart_static', '-ldl', '-lpthread', '-lrt']);
renameSync(tmp, OUT);
console.log(`build-cuda-addon: wrote ${OUT}`);
