// The backward kernels' overwrite mode (accumulate false), which ops.ts uses for a
// tensor's first gradient instead of a zero-filled buffer: on the TypeScript and the
// native backends it must give the bits of accumulating into zeros, whatever the
// buffer held (the case of test/helpers/kernel_cases.ts that the cuda and wasm
// tests run too). A missing native addon fails here as in kernels_native.test.ts.
import { describe, it } from 'node:test';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { KERNEL_CASES } from './helpers/kernel_cases.js';

const overwrite = KERNEL_CASES.filter((c) => c.name.includes('accumulate false'));

describe('backward kernels with accumulate false', () => {
  it('the case exists', () => {
    if (overwrite.length !== 1) throw new Error(`expected one overwrite case in kernel_cases.ts, found ${overwrite.length}`);
  });
  it('typescript backend', () => overwrite[0].run(tsKernels, tsKernels));
  it('native backend (against the typescript reference)', (t) => {
    if (process.env.GRADFORMER_BACKEND === 'ts') { t.skip('GRADFORMER_BACKEND=ts: native kernels not wanted'); return; }
    const native = loadNativeKernels();
    if (!native) throw new Error('native addon not loadable: build it with `npx node-gyp rebuild`');
    overwrite[0].run(native, tsKernels);
  });
});
