#!/usr/bin/env node
// Builds the GPU test program against the CPU emulation of CUDA (native/cuda/test/emu), into
// build/cuda-emu/gfc_test_emu: every CUDA kernel then RUNS on a machine without a GPU (CI, here),
// checked against the C kernels by the same native/cuda/test/gfc_test.cu. Needs only a C++ compiler.
//
// The kernels' sources are copied with their launches rewritten from
//   kernel<<<grid, block, smem, stream>>>(args);   to   emu_launch(grid, block, smem, stream, [&]() { kernel(args); });
// and `extern __shared__ T name[];` to a pointer to the launch's dynamic shared memory.
// Incremental: nothing is rebuilt when the program is newer than every input.
//
//   node scripts/build-cuda-emu.js          build/cuda-emu/gfc_test_emu
//   node scripts/build-cuda-emu.js --asan   build/cuda-emu/gfc_test_emu_asan: the same under AddressSanitizer,
//                                           with allocator blocks exactly as large as requested
//                                           (GFC_EXACT_SIZES), so a kernel's overrun is reported. Run it
//                                           with ASAN_OPTIONS=detect_stack_use_after_return=0:detect_leaks=0
//                                           (fiber stacks; the caches live for the process).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cudaDir = join(root, 'native', 'cuda');
const emuDir = join(cudaDir, 'test', 'emu');
const out = join(root, 'build', 'cuda-emu');
const srcOut = join(out, 'src');
const asan = process.argv.includes('--asan');
const exe = join(out, asan ? 'gfc_test_emu_asan' : 'gfc_test_emu');

/** The launch rewrite: finds each `<<<`, the kernel name before it, the config and the balanced argument list. */
function rewriteLaunches(text) {
  let res = '';
  let pos = 0;
  for (;;) {
    const at = text.indexOf('<<<', pos);
    if (at < 0) break;
    // the kernel name: an identifier, optionally with template arguments <...>
    let s = at;
    if (text[s - 1] === '>') {
      let depth = 0;
      do {
        s--;
        if (text[s] === '>') depth++;
        else if (text[s] === '<') depth--;
      } while (depth > 0 && s > 0);
    }
    while (s > 0 && /[\w]/.test(text[s - 1])) s--;
    const name = text.slice(s, at);
    const cfgEnd = text.indexOf('>>>', at);
    const cfg = text.slice(at + 3, cfgEnd);
    if (text[cfgEnd + 3] !== '(') throw new Error(`launch of ${name} is not followed by its arguments`);
    let depth = 0, e = cfgEnd + 3;
    do {
      if (text[e] === '(') depth++;
      else if (text[e] === ')') depth--;
      e++;
    } while (depth > 0);
    const args = text.slice(cfgEnd + 4, e - 1);
    res += text.slice(pos, s) + `emu_launch(${cfg}, [&]() { ${name}(${args}); })`;
    pos = e;
  }
  return (res + text.slice(pos)).replace(/extern __shared__ (\w+) (\w+)\[\];/g, '$1 *$2 = ($1 *)emu::dyn_smem();');
}

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : -1);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`build-cuda-emu: failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status ?? 1);
  }
}

{
  const kernelFiles = readdirSync(cudaDir).filter((f) => /\.(cu|cuh|h)$/.test(f)).map((f) => join(cudaDir, f));
  const cFiles = readdirSync(join(root, 'native')).filter((f) => f.endsWith('.c') && f !== 'addon.c')
    .map((f) => join(root, 'native', f));
  // gf.h, and xoshiro.h that the CUDA sources include too
  const cHeaders = readdirSync(join(root, 'native')).filter((f) => f.endsWith('.h')).map((f) => join(root, 'native', f));
  const testFiles = [join(cudaDir, 'test', 'gfc_test.cu'), join(cudaDir, 'test', 'cpu_threads.c')];
  const emuFiles = [join(emuDir, 'cuda_runtime.h'), join(emuDir, 'emu.cpp'),
    join(emuDir, 'cub', 'device', 'device_radix_sort.cuh')];
  const inputs = [...kernelFiles, ...cFiles, ...cHeaders, ...testFiles, ...emuFiles,
    fileURLToPath(import.meta.url)];
  if (mtime(exe) > Math.max(...inputs.map(mtime))) {
    console.log(`build-cuda-emu: build/cuda-emu/${basename(exe)} is up to date`);
    process.exit(0);
  }
  mkdirSync(srcOut, { recursive: true });
  const cxx = [];
  for (const f of kernelFiles) {
    const isSource = f.endsWith('.cu');
    const target = join(srcOut, basename(f).replace(/\.cu$/, '.cpp'));
    writeFileSync(target, rewriteLaunches(readFileSync(f, 'utf8')));
    if (isSource) cxx.push(target);
  }
  const san = asan ? ['-fsanitize=address', '-fno-omit-frame-pointer'] : [];
  const flags = [...(asan ? ['-O1', '-DGFC_EXACT_SIZES', ...san] : ['-O2']), '-g', '-ffp-contract=off', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-unknown-pragmas', '-I', srcOut, '-I', emuDir,
    '-I', join(root, 'native')];
  // The C kernels (the reference) as C, everything else as C++, then one link.
  const objs = [];
  for (const c of [...cFiles, join(cudaDir, 'test', 'cpu_threads.c')]) {
    const obj = join(out, (asan ? 'asan_' : 'cpu_') + basename(c, '.c') + '.o');
    run('cc', ['-O2', ...san, '-std=c11', '-fopenmp', '-I', join(root, 'native'), '-c', c, '-o', obj]);
    objs.push(obj);
  }
  const tmp = `${exe}.tmp`;
  run('c++', ['-std=c++17', ...flags, '-x', 'c++', join(cudaDir, 'test', 'gfc_test.cu'), '-x', 'none', ...cxx,
    join(emuDir, 'emu.cpp'), ...objs, '-fopenmp', '-lm', '-o', tmp]);
  renameSync(tmp, exe);
  console.log(`build-cuda-emu: built build/cuda-emu/${basename(exe)}`);
}
