/*
 * Internal helpers shared by the .cu files of native/cuda (not part of the contract, gfc.h).
 * Every launch goes to the one stream gfc_stream(); errors become a GFC_E* code and a sentence
 * in gfc_last_error() through gfc_fail().
 */
#ifndef GFC_IMPL_CUH
#define GFC_IMPL_CUH
#include <cuda_runtime.h>
#include <stdint.h>
#include "gfc.h"

/* The stream every kernel runs on, and whether gfc_init has succeeded. */
cudaStream_t gfc_stream(void);
int gfc_ready(void);
/* Records a sentence (printf-style) as the last error and returns code. */
int gfc_fail(int code, const char *fmt, ...);
/* After a launch: GFC_ELAUNCH with the CUDA error string naming the kernel, or 0. */
int gfc_check_launch(const char *kernel);
/* Scratch that lives until the matching gfc_free; reuse on the one stream is ordered, so freeing
   right after the launches that use it is safe. Returns NULL and records the error on OOM. */
void *gfc_scratch(size_t bytes, const char *what);
/* Copies a device double to the host and waits (the `double *result` variants). */
int gfc_result(const double *dev, double *host, const char *kernel);

#define GFC_REQUIRE_INIT()                                                               \
  do {                                                                                   \
    if (!gfc_ready()) return gfc_fail(GFC_ENODEV, "gfc_init has not succeeded: call it first"); \
  } while (0)

/* Grid for a grid-stride loop over n items with `threads` per block (capped: the loop covers the rest). */
static inline unsigned gfc_blocks(int64_t n, int threads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;
  return (unsigned)b;
}

#define GFC_GRID_STRIDE(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

/* Warp sum of a double in a fixed shuffle tree (lane 0 holds the total; every lane a partial). */
__device__ __forceinline__ double gfc_warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

/* Block sum of a double (blockDim.x a multiple of 32, <= 1024), fixed order; the result is
   returned to every thread. `sh` holds 32 doubles. */
__device__ __forceinline__ double gfc_block_sum(double v, double *sh) {
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = gfc_warp_sum(v);
  __syncthreads();  /* sh may still be read by a previous call */
  if (lane == 0) sh[w] = v;
  __syncthreads();
  double t = 0;
  if (w == 0) {
    t = lane < nw ? sh[lane] : 0.0;
    t = gfc_warp_sum(t);
    if (lane == 0) sh[0] = t;
  }
  __syncthreads();
  return sh[0];
}

/* sigmoid in double from e = exp(-|x|) (no cancellation); |x| > 110 saturates; NaN stays. */
__device__ __forceinline__ float gfc_sigmoid(float xf) {
  double x = xf, e = exp(-fabs(x));
  float y = (float)((x >= 0 ? 1.0 : e) / (1.0 + e));
  if (fabsf(xf) > 110.0f) y = xf > 0 ? 1.0f : 0.0f;
  return xf != xf ? xf : y;
}

/*
 * Deterministic sum of f(i) for i in [0, n) in double, into *out (device): a fixed grid of
 * partial sums (its size depends on n only), then one block adds them in order.
 */
#define GFC_SUM_THREADS 256
#define GFC_SUM_MAXBLOCKS 1024
template <class F>
__global__ void gfc_sum_partial(F f, int64_t n, double *part) {
  __shared__ double sh[32];
  double s = 0;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    s += f(i);
  s = gfc_block_sum(s, sh);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}
__global__ void gfc_sum_final(const double *part, int nparts, double *out, int accumulate);

/* *out (device double) = (accumulate ? *out : 0) + sum_{i<n} f(i); returns 0 or an error code. */
template <class F>
int gfc_sum(F f, int64_t n, double *out, int accumulate, const char *kernel) {
  int64_t nb = (n + GFC_SUM_THREADS * 8 - 1) / (GFC_SUM_THREADS * 8);
  if (nb < 1) nb = 1;
  if (nb > GFC_SUM_MAXBLOCKS) nb = GFC_SUM_MAXBLOCKS;
  double *part = (double *)gfc_scratch((size_t)nb * sizeof(double), kernel);
  if (!part) return GFC_ENOMEM;
  gfc_sum_partial<<<(unsigned)nb, GFC_SUM_THREADS, 0, gfc_stream()>>>(f, n, part);
  gfc_sum_final<<<1, 1024, 0, gfc_stream()>>>(part, (int)nb, out, accumulate);
  gfc_free(part);
  return gfc_check_launch(kernel);
}

/*
 * Deterministic column sums: for every column c, fin(c, sum_r f(r, c)) with f returning a double2
 * (two sums at once: batch-norm statistics and gradients). Rows are cut into a fixed number of
 * chunks (a function of rows only); each chunk's partial is a fixed tree; chunks are added in order.
 */
#define GFC_COL_TX 32
#define GFC_COL_TY 8
template <class F>
__global__ void gfc_col_partial(F f, int64_t rows, int64_t cols, int64_t rowsPerChunk, double2 *part) {
  __shared__ double2 sh[GFC_COL_TY][GFC_COL_TX];
  int64_t c = (int64_t)blockIdx.x * GFC_COL_TX + threadIdx.x;
  int64_t r0 = (int64_t)blockIdx.y * rowsPerChunk, r1 = r0 + rowsPerChunk < rows ? r0 + rowsPerChunk : rows;
  double2 acc = make_double2(0.0, 0.0);
  if (c < cols)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += GFC_COL_TY) {
      double2 t = f(r, c);
      acc.x += t.x;
      acc.y += t.y;
    }
  sh[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    double2 s = sh[0][threadIdx.x];
    for (int y = 1; y < GFC_COL_TY; y++) { s.x += sh[y][threadIdx.x].x; s.y += sh[y][threadIdx.x].y; }
    part[(int64_t)blockIdx.y * cols + c] = s;
  }
}
template <class G>
__global__ void gfc_col_final(G fin, const double2 *part, int64_t nchunks, int64_t cols) {
  GFC_GRID_STRIDE(c, cols) {
    double2 s = make_double2(0.0, 0.0);
    for (int64_t ch = 0; ch < nchunks; ch++) { s.x += part[ch * cols + c].x; s.y += part[ch * cols + c].y; }
    fin(c, s);
  }
}
template <class F, class G>
int gfc_col_sums(F f, G fin, int64_t rows, int64_t cols, const char *kernel) {
  if (cols == 0) return 0;
  int64_t nchunks = rows / 512;  /* >= 512 rows (64 per thread) per chunk, at most 256 chunks */
  if (nchunks < 1) nchunks = 1;
  if (nchunks > 256) nchunks = 256;
  int64_t rpc = (rows + nchunks - 1) / nchunks;
  if (rpc < 1) rpc = 1;
  double2 *part = (double2 *)gfc_scratch((size_t)(nchunks * cols) * sizeof(double2), kernel);
  if (!part) return GFC_ENOMEM;
  dim3 grid((unsigned)((cols + GFC_COL_TX - 1) / GFC_COL_TX), (unsigned)nchunks);
  gfc_col_partial<<<grid, dim3(GFC_COL_TX, GFC_COL_TY), 0, gfc_stream()>>>(f, rows, cols, rpc, part);
  gfc_col_final<<<gfc_blocks(cols, 256), 256, 0, gfc_stream()>>>(fin, part, nchunks, cols);
  gfc_free(part);
  return gfc_check_launch(kernel);
}

/*
 * Deterministic scatter by destination: a stable sort of idx [n] (CUB radix sort, integer keys,
 * so the result is unique) gives perm (the original positions grouped by index, in original order
 * within a group) and keys (the sorted indices). A destination's sum then runs in the original
 * order, like the CPU kernels, with one thread owning each (destination, column).
 */
typedef struct { int32_t *keys, *perm; void *mem; } GfcSorted;
int gfc_sort_index(const int32_t *idx, int64_t n, GfcSorted *out, const char *kernel);
void gfc_sorted_free(GfcSorted *s);

#endif
