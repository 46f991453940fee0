/*
 * A CPU emulation of the small part of CUDA that native/cuda uses, so that every kernel can be
 * RUN (not only compiled) on machines without a GPU: the GPU test program built against it
 * (scripts/build-cuda-emu.js) checks the kernels' indexing, bounds, barriers and logic against
 * the C kernels in CI. It is not a performance or memory-model model of a GPU.
 *
 * Each block runs its threads as fibers (ucontext) on one host thread; a thread runs until it
 * reaches __syncthreads, __syncwarp or a warp collective (shuffle, match), where it waits until
 * every live thread of its block (or warp) is there. A barrier that can never complete (threads of
 * one block waiting at different barriers) aborts with a message: divergent barriers are bugs.
 * Device memory is host memory, filled with 0xFF bytes (NaN floats) when allocated, so reading
 * memory nothing wrote shows up as NaN in the comparisons. Launches are `<<<...>>>`-free: the
 * build rewrites `k<<<grid, block, smem, stream>>>(args)` into emu_launch(...).
 */
#ifndef GFC_EMU_CUDA_RUNTIME_H
#define GFC_EMU_CUDA_RUNTIME_H
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <functional>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static /* blocks run one after another, so a static is the block's shared memory */

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct emu_uint3 { unsigned x, y, z; };
extern emu_uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

struct double2 { double x, y; };
inline double2 make_double2(double x, double y) { return double2{x, y}; }

typedef int cudaError_t;
typedef void *cudaStream_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
#define cudaStreamNonBlocking 1
struct cudaDeviceProp { char name[256]; int major, minor; };

int cudaGetDeviceCount(int *n);
int cudaGetDeviceProperties(cudaDeviceProp *p, int device);
int cudaSetDevice(int device);
int cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
int cudaMalloc(void **p, size_t bytes);
template <class T> int cudaMalloc(T **p, size_t bytes) { return cudaMalloc((void **)p, bytes); }
int cudaFree(void *p);
int cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s);
int cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
int cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s);
int cudaStreamSynchronize(cudaStream_t s);
int cudaGetLastError(void);
const char *cudaGetErrorString(int e);

/* ------------------------------------------------------------------ the fiber scheduler */
namespace emu {
void launch(dim3 grid, dim3 block, size_t smem, std::function<void()> body);
void *dyn_smem(void);
void block_sync(void);
void warp_sync(void);
int lane(void);
uint64_t *warp_slots(void); /* 32 slots of the calling thread's warp */
}  // namespace emu

#define __syncthreads() emu::block_sync()
inline void __syncwarp(unsigned mask = 0xffffffffu) { (void)mask; emu::warp_sync(); }

/* Every lane publishes v, the warp meets, each reads lane src(lane), the warp meets again. */
template <class T, class S>
T emu_shfl(T v, S src) {
  static_assert(sizeof(T) <= 8, "shuffled values are at most 8 bytes");
  uint64_t *slot = emu::warp_slots();
  int me = emu::lane();
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  slot[me] = bits;
  emu::warp_sync();
  T r;
  uint64_t got = slot[src(me) & 31];
  memcpy(&r, &got, sizeof(T));
  emu::warp_sync();
  return r;
}
template <class T> T __shfl_sync(unsigned, T v, int src) { return emu_shfl(v, [=](int) { return src; }); }
template <class T> T __shfl_down_sync(unsigned, T v, unsigned d) {
  return emu_shfl(v, [=](int l) { return l + (int)d < 32 ? l + (int)d : l; });
}
template <class T> T __shfl_xor_sync(unsigned, T v, int m) { return emu_shfl(v, [=](int l) { return l ^ m; }); }
inline unsigned __match_any_sync(unsigned, int key) {
  uint64_t *slot = emu::warp_slots();
  int me = emu::lane();
  slot[me] = (uint64_t)(int64_t)key;
  emu::warp_sync();
  unsigned m = 0;
  for (int l = 0; l < 32; l++)
    if (slot[l] == (uint64_t)(int64_t)key) m |= 1u << l;
  emu::warp_sync();
  return m;
}
inline int __ffs(unsigned x) { return __builtin_ffs((int)x); }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
inline float __fadd_rn(float a, float b) { volatile float r = a + b; return r; }

template <class F>
void emu_launch(dim3 grid, dim3 block, size_t smem, cudaStream_t, F body) {
  emu::launch(grid, block, smem, std::function<void()>(body));
}
#endif
