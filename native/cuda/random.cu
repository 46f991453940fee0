/*
 * Dropout masks from the project's generator (xoshiro128**, src/util/rng.ts), bit-identical to
 * native/random.c: element i uses draws 2i and 2i+1 of the stream that starts at `state`.
 *
 * The xoshiro128** state update is linear over GF(2)^128, so state after j draws is M^j s. The
 * host builds M^(2^e) (e < 64) once, as 128 columns of 4 words each; a thread that owns elements
 * [t*CH, (t+1)*CH) jumps to draw 2*t*CH by the binary expansion of that count, then draws its
 * elements in order. A second launch advances the state by 2n draws (after every thread has read
 * the old one).
 */
#include <string.h>
#include "gfc_impl.cuh"
#include "xoshiro.h" /* native/, shared with the CPU kernels */

#define CH 256        /* elements per thread */
#define LEVELS 64     /* jump powers 2^0 .. 2^63 */

static uint32_t *g_jump = nullptr;  /* device [LEVELS][128][4] */

/* v <- M v where M is given by its 128 columns (the images of the unit vectors). */
__host__ __device__ static inline void apply(const uint32_t *cols, uint32_t *v) {
  uint32_t o[4] = {0, 0, 0, 0};
  for (int b = 0; b < 128; b++)
    if ((v[b >> 5] >> (b & 31)) & 1u) {
      const uint32_t *col = cols + 4 * b;
      o[0] ^= col[0]; o[1] ^= col[1]; o[2] ^= col[2]; o[3] ^= col[3];
    }
  for (int w = 0; w < 4; w++) v[w] = o[w];
}

/* v <- M^count v */
__device__ static inline void jump(const uint32_t *tables, uint64_t count, uint32_t *v) {
  for (int e = 0; e < LEVELS && count; e++, count >>= 1)
    if (count & 1u) apply(tables + (size_t)e * 512, v);
}

static int ensure_tables(void) {
  if (g_jump) return 0;
  static uint32_t h[LEVELS * 512];
  for (int b = 0; b < 128; b++) {  /* M^1: one step applied to each unit vector */
    uint32_t *col = h + 4 * b;
    memset(col, 0, 16);
    col[b >> 5] = 1u << (b & 31);
    gf_rng_advance(col);
  }
  for (int e = 1; e < LEVELS; e++)  /* M^(2^e) = M^(2^(e-1)) M^(2^(e-1)), column by column */
    for (int b = 0; b < 128; b++) {
      uint32_t *col = h + (size_t)e * 512 + 4 * b;
      memcpy(col, h + (size_t)(e - 1) * 512 + 4 * b, 16);
      apply(h + (size_t)(e - 1) * 512, col);
    }
  /* 128 KB kept for the process: outside the caching allocator, so tensors' accounting stays exact */
  uint32_t *d = nullptr;
  cudaError_t e = cudaMalloc(&d, sizeof h);
  if (e == cudaSuccess) e = cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (d) cudaFree(d);
    return gfc_fail(GFC_ENOMEM, "the random generator's jump tables cannot be put on the GPU: %s",
                    cudaGetErrorString(e));
  }
  g_jump = d;
  return 0;
}

__global__ void mask_kernel(const uint32_t *state, const uint32_t *tables, float *out, int64_t n, double threshold,
                            float keep, int below) {
  int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, i0 = t * CH;
  if (i0 >= n) return;
  int64_t i1 = i0 + CH < n ? i0 + CH : n;
  uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  jump(tables, 2 * (uint64_t)i0, s);
  for (int64_t i = i0; i < i1; i++) {
    uint32_t hi = gf_rng_next(s) >> 5, lo = gf_rng_next(s) >> 6;
    double u = ((double)hi * 67108864.0 + (double)lo) * 0x1p-53;  /* exact: as / 2^53 */
    int kept = below ? (u < threshold) : (u >= threshold);
    out[i] = kept ? keep : 0.0f;
  }
}

__global__ void advance_state(uint32_t *state, const uint32_t *tables, uint64_t draws) {
  uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  jump(tables, draws, s);
  for (int w = 0; w < 4; w++) state[w] = s[w];
}

int gfc_uniform_mask(uint32_t *state, float *out, int64_t n, double threshold, float keep, int below) {
  GFC_REQUIRE_INIT();
  if (n == 0) return 0;
  int rc = ensure_tables();
  if (rc) return rc;
  int64_t threads = (n + CH - 1) / CH;
  mask_kernel<<<(unsigned)((threads + 127) / 128), 128, 0, gfc_stream()>>>(state, g_jump, out, n, threshold, keep,
                                                                           below);
  advance_state<<<1, 1, 0, gfc_stream()>>>(state, g_jump, 2 * (uint64_t)n);
  return gfc_check_launch("uniformMask");
}
