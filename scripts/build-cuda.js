#!/usr/bin/env node
// Builds the CUDA kernels (native/cuda/*.cu) into build/cuda/libgfc.a, and the standalone GPU test
// program build/cuda/gfc_test (every gfc_ kernel against the C kernels of native/*.c).
//
//   node scripts/build-cuda.js            build (incremental: objects newer than their inputs are kept)
//   node scripts/build-cuda.js --which    print the nvcc it would use (nothing without one)
//   node scripts/build-cuda.js --link     build the same way (its messages on stderr), then print on
//                                         stdout the flags that link libgfc.a into a Node addon, e.g.
//                                         from binding.gyp: "<!@(node scripts/build-cuda.js --link)"
//                                         (node-gyp rebuild first deletes build/, this rebuilds it)
//
// Without nvcc (NVCC, CUDA_HOME/bin, PATH or /usr/local/cuda/bin) it prints one line and exits 0
// (--link prints nothing): the CPU package never needs CUDA. NVCC=none skips the CUDA build the
// same way where nvcc exists. With nvcc, a compile error exits non-zero (CI compiles it).
// Code: Hopper SASS (sm_90) plus compute_90 PTX, which newer GPUs JIT-compile; the CUDA runtime
// is linked statically (-cudart static / libcudart_static.a), so only the driver is needed at run time.
import { existsSync, mkdirSync, readdirSync, statSync, renameSync, realpathSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cudaDir = join(root, 'native', 'cuda');
const out = join(root, 'build', 'cuda');
const ARCH = ['-gencode', 'arch=compute_90,code=sm_90', '-gencode', 'arch=compute_90,code=compute_90'];
const NVFLAGS = ['-std=c++17', '-O3', ...ARCH, '-Xcompiler', '-fPIC,-Wall,-Wextra', '-Werror', 'all-warnings',
  '-I', cudaDir, '-I', join(root, 'native')];

function findNvcc() {
  if (process.env.NVCC === 'none') return null;
  const cands = [process.env.NVCC, process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'bin', 'nvcc')];
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  if (which.status === 0) cands.push(which.stdout.trim());
  cands.push('/usr/local/cuda/bin/nvcc');
  return cands.find((c) => c && existsSync(c)) ?? null;
}

// The CUDA library directory holding libcudart_static.a. nvcc reports its toolkit root (TOP) in a
// dry run, which also sees through wrapper scripts such as /usr/local/bin/nvcc.
function cudaLibDir(nvcc) {
  const dry = spawnSync(nvcc, ['--dryrun', '-v', '-c', '-x', 'cu', '/dev/null', '-o', '/dev/null'], { encoding: 'utf8' });
  const m = /^#\$ TOP=(.*)$/m.exec(`${dry.stdout}${dry.stderr}`);
  const top = m ? m[1].trim() : dirname(dirname(realpathSync(nvcc)));
  const cands = [join(top, 'targets', 'x86_64-linux', 'lib'), join(top, 'lib64'), join(top, 'lib')];
  return realpathSync(cands.find((d) => existsSync(join(d, 'libcudart_static.a'))) ?? top);
}

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : -1);
const newer = (target, inputs) => mtime(target) > Math.max(...inputs.map(mtime));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: [0, linkMode ? 2 : 1, 2], cwd: root });
  if (r.status !== 0) {
    console.error(`build-cuda: failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status ?? 1);
  }
}

// Compiles into a temporary name and renames, so an interrupted build never leaves a stale object
// that looks up to date.
function compile(cmd, args, target, inputs) {
  if (newer(target, inputs)) return false;
  const tmp = `${target}.tmp`;
  run(cmd, [...args, '-o', tmp]);
  renameSync(tmp, target);
  return true;
}

const nvcc = findNvcc();
if (process.argv.includes('--which')) {  /* the nvcc that would be used, or nothing; builds nothing */
  if (nvcc) console.log(nvcc);
  process.exit(0);
}
const linkMode = process.argv.includes('--link');
// In --link mode stdout carries the flags alone: every message goes to stderr.
const say = linkMode ? console.error : console.log;
// nvcc compiles host code with the system's C++ compiler: without one (where node-gyp also failed
// and the package runs on the TypeScript backend) there is nothing to build either.
if (nvcc && spawnSync('c++', ['--version']).status !== 0) {
  say('gradformer: nvcc was found but no C++ compiler (c++), so the CUDA kernels were not built');
  process.exit(0);
}
if (!nvcc) {
  say(process.env.NVCC === 'none'
    ? 'gradformer: NVCC=none, so the CUDA kernels were not built; the CPU backend is unaffected'
    : 'gradformer: nvcc not found (CUDA 13 toolkit), so the CUDA kernels were not built; the CPU backend is unaffected');
  process.exit(0);
}

mkdirSync(join(out, 'obj'), { recursive: true });
// The C headers too: the kernels include native/xoshiro.h, the test program native/gf.h.
const nativeHeaders = readdirSync(join(root, 'native')).filter((f) => f.endsWith('.h')).map((f) => join(root, 'native', f));
const headers = [...readdirSync(cudaDir).filter((f) => /\.(h|cuh)$/.test(f)).map((f) => join(cudaDir, f)), ...nativeHeaders];
const sources = readdirSync(cudaDir).filter((f) => f.endsWith('.cu')).sort();
const objs = [];
let changed = false;
for (const f of sources) {
  const obj = join(out, 'obj', basename(f, '.cu') + '.o');
  const src = join(cudaDir, f);
  if (compile(nvcc, [...NVFLAGS, '--threads', '2', '-c', src], obj, [src, ...headers])) {
    say(`build-cuda: compiled native/cuda/${f}`);
    changed = true;
  }
  objs.push(obj);
}
const lib = join(out, 'libgfc.a');
if (changed || !newer(lib, objs)) {
  const tmp = `${lib}.tmp`;
  spawnSync('rm', ['-f', tmp]);
  run('ar', ['rcs', tmp, ...objs]);
  renameSync(tmp, lib);
}

// The test program: its own main (gfc_test.cu), the C kernels it compares against (every
// native/*.c but the Node-API glue), and a single-threaded stand-in for the glue's thread knobs.
const testDir = join(cudaDir, 'test');
const cSources = readdirSync(join(root, 'native')).filter((f) => f.endsWith('.c') && f !== 'addon.c').sort()
  .map((f) => join(root, 'native', f));
cSources.push(join(testDir, 'cpu_threads.c'));
const testObjs = [];
for (const c of cSources) {
  const obj = join(out, 'obj', 'cpu_' + basename(c, '.c') + '.o');
  compile('cc', ['-O2', '-std=c11', '-fopenmp', '-Wall', '-Wextra', '-Wno-unused-parameter', '-I', join(root, 'native'),
    '-c', c], obj, [c, ...nativeHeaders]);
  testObjs.push(obj);
}
const testSrc = join(testDir, 'gfc_test.cu');
const testObj = join(out, 'obj', 'gfc_test.o');
compile(nvcc, [...NVFLAGS, '-c', testSrc], testObj,
  [testSrc, ...headers]);
const exe = join(out, 'gfc_test');
if (compile(nvcc, [...ARCH, '-cudart', 'static', testObj, ...testObjs, lib, '-lgomp'], exe, [testObj, ...testObjs, lib]))
  say('build-cuda: linked build/cuda/gfc_test');
say(`build-cuda: build/cuda/libgfc.a and build/cuda/gfc_test are up to date (${basename(nvcc)} at ${nvcc})`);
if (linkMode) {
  // Static library first, then the static CUDA runtime and what it needs (libstdc++ for the
  // library's C++ host code).
  console.log([lib, `-L${cudaLibDir(nvcc)}`, '-lcudart_static', '-lrt', '-lpthread', '-ldl', '-lstdc++'].join(' '));
}
