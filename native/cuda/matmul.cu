/*
 * fp32 SGEMM for the tall-and-thin products of this model: C[m,n] (+)= op(A)[m,k] op(B)[k,n] (+ bias).
 *
 * A 64x64 tile of C per block of 256 threads, each thread a 4x4 register tile (rows ty + 16 i,
 * columns tx + 16 j, so the shared-memory reads of a warp are broadcasts or consecutive banks);
 * k in steps of 16 through shared memory, loaded coalesced for either transposition.
 *
 * Determinism: each C element is one fused-multiply-add chain over its k range computed by one
 * thread. When C has few tiles and k is long (A^T B weight gradients over the nodes), k is split
 * into a number of slices that depends on the shape only; each slice writes its partial tile to
 * scratch and a second kernel adds the slices in order, then C (when accumulating) and the bias.
 * A `residual` [m, n] is added after the bias; with `relu` the stored value is relu of that
 * (NaN kept, anything not > 0 to +0), as the unary relu kernel, last.
 */
#include "gfc_impl.cuh"

#define BM 64
#define BN 64
#define BK 16

/* The unary relu kernel's value: v > 0 ? v : (NaN ? v : +0). */
__device__ __forceinline__ float relu_store(float v) { return v > 0.0f ? v : (v != v ? v : 0.0f); }

template <int TA, int TB>
__global__ void __launch_bounds__(256) sgemm_kernel(const float *__restrict__ a, const float *__restrict__ b,
                                                    float *__restrict__ c, int64_t m, int64_t k, int64_t n,
                                                    int64_t kslice, int accumulate, const float *__restrict__ bias,
                                                    int relu, const float *__restrict__ residual,
                                                    float *__restrict__ part) {
  __shared__ float As[BK][BM + 1];  /* +1: the column-wise stores of the [m, k] layout hit distinct banks */
  __shared__ float Bs[BK][BN + 1];
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int64_t i0 = (int64_t)blockIdx.x * BM, j0 = (int64_t)blockIdx.y * BN;  /* rows on x: no 65535 cap */
  const int64_t p0 = (int64_t)blockIdx.z * kslice, p1 = p0 + kslice < k ? p0 + kslice : k;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

  for (int64_t pb = p0; pb < p1; pb += BK) {
#pragma unroll
    for (int r = 0; r < 4; r++) {
      int e = tid + 256 * r;
      int ii, pp;
      if (TA) { ii = e % BM; pp = e / BM; }  /* A stored [k, m]: consecutive threads, consecutive i */
      else { pp = e % BK; ii = e / BK; }     /* A stored [m, k]: consecutive threads, consecutive p */
      int64_t gi = i0 + ii, gp = pb + pp;
      float v = 0.0f;
      if (gi < m && gp < p1) v = TA ? a[gp * m + gi] : a[gi * k + gp];
      As[pp][ii] = v;
      int jj;
      if (TB) { pp = e % BK; jj = e / BK; }  /* B stored [n, k] */
      else { jj = e % BN; pp = e / BN; }     /* B stored [k, n] */
      int64_t gj = j0 + jj;
      gp = pb + pp;
      v = 0.0f;
      if (gj < n && gp < p1) v = TB ? b[gj * k + gp] : b[gp * n + gj];
      Bs[pp][jj] = v;
    }
    __syncthreads();
#pragma unroll
    for (int p = 0; p < BK; p++) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; i++) av[i] = As[p][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; j++) bv[j] = Bs[p][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
  /* Zero padding beyond k adds exact zeros (0 * finite), so the chain equals the unpadded one
     for finite inputs. */
#pragma unroll
  for (int i = 0; i < 4; i++) {
    int64_t gi = i0 + ty + 16 * i;
    if (gi >= m) continue;
#pragma unroll
    for (int j = 0; j < 4; j++) {
      int64_t gj = j0 + tx + 16 * j;
      if (gj >= n) continue;
      if (part) {
        part[((int64_t)blockIdx.z * m + gi) * n + gj] = acc[i][j];
      } else {
        float v = accumulate ? c[gi * n + gj] + acc[i][j] : acc[i][j];
        if (bias) v += bias[gj];
        if (residual) v += residual[gi * n + gj];
        c[gi * n + gj] = relu ? relu_store(v) : v;
      }
    }
  }
}

/* C = (accumulate ? C : 0) + sum of the slices in order (+ bias). */
__global__ void splitk_sum(const float *__restrict__ part, int64_t slices, float *__restrict__ c, int64_t m,
                           int64_t n, int accumulate, const float *__restrict__ bias, int relu,
                           const float *__restrict__ residual) {
  GFC_GRID_STRIDE(e, m * n) {
    float s = part[e];
    for (int64_t z = 1; z < slices; z++) s += part[z * m * n + e];
    float v = accumulate ? c[e] + s : s;
    if (bias) v += bias[e % n];
    if (residual) v += residual[e];
    c[e] = relu ? relu_store(v) : v;
  }
}

/* k == 0: C = (accumulate ? C : 0) + bias + residual (then relu). */
__global__ void empty_k(float *c, int64_t m, int64_t n, int accumulate, const float *bias, int relu,
                        const float *residual) {
  GFC_GRID_STRIDE(e, m * n) {
    float v = accumulate ? c[e] : 0.0f;
    if (bias) v += bias[e % n];
    if (residual) v += residual[e];
    c[e] = relu ? relu_store(v) : v;
  }
}

int gfc_matmul(const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n, int transA, int transB,
               int accumulate, const float *bias, int relu, const float *residual) {
  GFC_REQUIRE_INIT();
  if (m == 0 || n == 0) return 0;
  cudaStream_t s = gfc_stream();
  if (k == 0) {
    empty_k<<<gfc_blocks(m * n, 256), 256, 0, s>>>(c, m, n, accumulate, bias, relu, residual);
    return gfc_check_launch("matmul");
  }
  int64_t tm = (m + BM - 1) / BM, tn = (n + BN - 1) / BN, tiles = tm * tn;
  if (tn > 65535) return gfc_fail(GFC_EARG, "matmul: %lld columns exceed the %d the CUDA GEMM grid handles",
                                  (long long)n, 65535 * BN);
  /* Split k when C has too few tiles to fill the GPU (~132 SMs) and each slice keeps >= 512 of k. */
  int64_t slices = 1;
  if (tiles < 264 && k >= 1024) {
    slices = 264 / tiles;
    if (slices > k / 512) slices = k / 512;
    if (slices > 64) slices = 64;
    if (slices < 1) slices = 1;
  }
  int64_t kslice = ((k + slices - 1) / slices + BK - 1) / BK * BK;
  slices = (k + kslice - 1) / kslice;
  float *part = nullptr;
  if (slices > 1) {
    part = (float *)gfc_scratch((size_t)(slices * m * n) * sizeof(float), "matmul");
    if (!part) return GFC_ENOMEM;
  }
  dim3 grid((unsigned)tm, (unsigned)tn, (unsigned)slices);
  if (transA && transB) sgemm_kernel<1, 1><<<grid, 256, 0, s>>>(a, b, c, m, k, n, kslice, accumulate, bias, relu, residual, part);
  else if (transA) sgemm_kernel<1, 0><<<grid, 256, 0, s>>>(a, b, c, m, k, n, kslice, accumulate, bias, relu, residual, part);
  else if (transB) sgemm_kernel<0, 1><<<grid, 256, 0, s>>>(a, b, c, m, k, n, kslice, accumulate, bias, relu, residual, part);
  else sgemm_kernel<0, 0><<<grid, 256, 0, s>>>(a, b, c, m, k, n, kslice, accumulate, bias, relu, residual, part);
  if (part) {
    splitk_sum<<<gfc_blocks(m * n, 256), 256, 0, s>>>(part, slices, c, m, n, accumulate, bias, relu, residual);
    gfc_free(part);
  }
  return gfc_check_launch("matmul");
}
