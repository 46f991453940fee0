/*
 * Fused ragged multi-head attention with a multiplicative decay mask (native/attention.c,
 * src/tensor/kernels.ts attentionForward/attentionBackward), one launch per call.
 *
 * Layout: graphs packed back to back (graphPtr [B+1]); q, k, v, out and their gradients are
 * [N, H, dk]; mask, drop and probs hold per graph a block [H, n_b, n_b] starting at
 * H * sum_{b' < b} n_b'^2 (computed in the kernel from graphPtr: no host round trip).
 *
 * One block of 8 warps per (graph, head): no padding, any n. A warp owns a query row i at a time:
 * lanes split the keys j for the scores and the softmax (the row lives in probs, which is
 * written anyway), then split the head's dk columns for P V, 32 keys at a time through a small
 * per-warp coefficient buffer. K and V of the head sit in shared memory (rows padded to an odd
 * stride: conflict-free column reads) when 2 n dk floats fit; otherwise rows are read from
 * global memory (the fallback for large graphs).
 *
 * The backward runs in two phases separated by a block barrier: rows i (dP, rowDot_i, gMask,
 * dRaw and gq_i += dRaw K), keeping rowDot in shared memory; then columns j (gv_j += (P D)^T gOut,
 * gk_j += dRaw^T Q, recomputing dRaw from rowDot), with Q and gOut in shared memory when they fit.
 * Every output element is written by one warp with a fixed order: deterministic, no atomics.
 */
#include "gfc_impl.cuh"

#define ATT_WARPS 8
#define ATT_THREADS (ATT_WARPS * 32)
#define ATT_MAX_DK GFC_ATT_MAX_DK
#define ATT_MAX_DKL (ATT_MAX_DK / 32) /* dk columns per lane */
#define ATT_SMEM (46 * 1024)          /* dynamic shared memory per block (plus ~0.3 KB static, under 48 KB) */
/* the backward's per-warp vectors and coefficients plus rowDot of GFC_ATT_MAX_NODES nodes fit at the largest dk */
static_assert((ATT_WARPS * (2 * ATT_MAX_DK + 64) + GFC_ATT_MAX_NODES) * 4 <= ATT_SMEM, "rowDot capacity");
static_assert(ATT_MAX_DK % 32 == 0 && ATT_MAX_DKL == 4, "acc arrays are initialised for 4 columns per lane");

struct Att {
  const float *q, *k, *v, *mask, *drop, *probs, *gOut;
  float *out, *probsOut, *gq, *gk, *gv, *gMask;
  const int32_t *ptr;
  int64_t H, dk;
  float scale;
};

/* H * sum_{b' < b} n_b'^2 + h n^2: the start of (b, h)'s mask block. Every thread must call it. */
__device__ int64_t block_offset(const int32_t *ptr, int64_t b) {
  __shared__ long long sh[ATT_WARPS];
  long long acc = 0;
  for (int64_t t = threadIdx.x; t < b; t += blockDim.x) {
    long long n = ptr[t + 1] - ptr[t];
    acc += n * n;
  }
  for (int o = 16; o > 0; o >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, o);
  if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = acc;
  __syncthreads();
  long long tot = 0;
  for (int w = 0; w < ATT_WARPS; w++) tot += sh[w];
  return tot;
}

__device__ __forceinline__ float dot(const float *a, const float *b, int64_t dk) {
  float s = 0.0f;
  for (int64_t d = 0; d < dk; d++) s = fmaf(a[d], b[d], s);
  return s;
}

/* Rows [0, n) of head columns [off, off+dk) of src [N, H, dk] into tile [n][dkp]. */
__device__ void load_tile(const float *src, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t dk, float *tile,
                          int64_t dkp) {
  for (int64_t e = threadIdx.x; e < n * dk; e += blockDim.x) {
    int64_t j = e / dk, d = e - j * dk;
    tile[j * dkp + d] = src[(s0 + j) * HD + off + d];
  }
}

/* A row source: the shared tile when it fits, else global memory. */
struct Rows {
  const float *p;
  int64_t stride;
  __device__ const float *operator[](int64_t j) const { return p + j * stride; }
};

__device__ __forceinline__ float warp_max_f(float v) {
  for (int o = 16; o > 0; o >>= 1) {
    float w = __shfl_xor_sync(0xffffffffu, v, o);
    v = w > v ? w : v;
  }
  return v;
}

__global__ void __launch_bounds__(ATT_THREADS) att_forward(Att A) {
  extern __shared__ float smem[];
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  const int64_t H = A.H, dk = A.dk, HD = H * dk, b = blockIdx.x / H, h = blockIdx.x - b * H, off = h * dk;
  const int64_t s0 = A.ptr[b], n = A.ptr[b + 1] - s0;
  const int64_t base = H * block_offset(A.ptr, b) + h * n * n;
  if (n == 0) return;
  const int64_t dkp = (dk & 1) ? dk : dk + 1;
  float *qv = smem + (int64_t)w * dk, *coef = smem + ATT_WARPS * dk + w * 32, *tiles = smem + ATT_WARPS * (dk + 32);
  const bool fits = (ATT_WARPS * (dk + 32) + 2 * n * dkp) * (int64_t)sizeof(float) <= ATT_SMEM;
  Rows K{A.k + s0 * HD + off, HD}, V{A.v + s0 * HD + off, HD};
  if (fits) {
    load_tile(A.k, s0, n, HD, off, dk, tiles, dkp);
    load_tile(A.v, s0, n, HD, off, dk, tiles + n * dkp, dkp);
    K = Rows{tiles, dkp};
    V = Rows{tiles + n * dkp, dkp};
  }
  __syncthreads();
  const float scale = A.scale;
  for (int64_t i = w; i < n; i += ATT_WARPS) {
    const int64_t ro = base + i * n;
    for (int64_t d = lane; d < dk; d += 32) qv[d] = A.q[(s0 + i) * HD + off + d];
    __syncwarp();
    /* scores S_ij = (q_i . k_j) * scale * M_ij, kept in probs; NaN scores are skipped by the max */
    float mx = -INFINITY;
    for (int64_t j = lane; j < n; j += 32) {
      float s = dot(qv, K[j], dk) * scale * A.mask[ro + j];
      A.probsOut[ro + j] = s;
      mx = s > mx ? s : mx;
    }
    mx = warp_max_f(mx);
    if (mx == -INFINITY) mx = 0.0f;
    float ls = 0.0f;
    for (int64_t j = lane; j < n; j += 32) {
      float e = expf(A.probsOut[ro + j] - mx);
      A.probsOut[ro + j] = e;
      ls += e;
    }
    double tot = __shfl_sync(0xffffffffu, gfc_warp_sum((double)ls), 0);
    const float inv = (float)(1.0 / tot);
    float acc[ATT_MAX_DKL] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t j0 = 0; j0 < n; j0 += 32) {
      int64_t j = j0 + lane;
      if (j < n) {
        float p = A.probsOut[ro + j] * inv;
        A.probsOut[ro + j] = p;
        coef[lane] = A.drop ? p * A.drop[ro + j] : p;
      }
      __syncwarp();
      int64_t cnt = n - j0 < 32 ? n - j0 : 32;
      for (int64_t jj = 0; jj < cnt; jj++) {
        const float c = coef[jj], *vr = V[j0 + jj];
#pragma unroll
        for (int u = 0; u < ATT_MAX_DKL; u++) {
          int64_t d = lane + 32 * u;
          if (d < dk) acc[u] = fmaf(c, vr[d], acc[u]);
        }
      }
      __syncwarp();
    }
#pragma unroll
    for (int u = 0; u < ATT_MAX_DKL; u++) {
      int64_t d = lane + 32 * u;
      if (d < dk) A.out[(s0 + i) * HD + off + d] = acc[u];
    }
    __syncwarp();
  }
}

/* Graphs beyond the rowDot capacity: every gradient of the graph becomes NaN (visible, never wrong
   numbers); the caller is told the limit in gfc.h. */
__device__ void poison(const Att &A, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t base) {
  const float nan = __int_as_float(0x7fc00000);
  for (int64_t e = threadIdx.x; e < n * A.dk; e += blockDim.x) {
    int64_t r = (s0 + e / A.dk) * HD + off + e % A.dk;
    if (A.gq) A.gq[r] += nan;
    if (A.gk) A.gk[r] += nan;
    if (A.gv) A.gv[r] += nan;
  }
  if (A.gMask)
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) A.gMask[base + e] += nan;
}

__global__ void __launch_bounds__(ATT_THREADS) att_backward(Att A) {
  extern __shared__ float smem[];
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  const int64_t H = A.H, dk = A.dk, HD = H * dk, b = blockIdx.x / H, h = blockIdx.x - b * H, off = h * dk;
  const int64_t s0 = A.ptr[b], n = A.ptr[b + 1] - s0;
  const int64_t base = H * block_offset(A.ptr, b) + h * n * n;
  if (n == 0) return;
  const bool wantQKM = A.gq || A.gk || A.gMask;
  const int64_t dkp = (dk & 1) ? dk : dk + 1, fixed = ATT_WARPS * (2 * dk + 64);
  float *va = smem + (int64_t)w * 2 * dk, *vb = va + dk;          /* per-warp vectors */
  float *c0 = smem + ATT_WARPS * 2 * dk + w * 64, *c1 = c0 + 32;  /* per-warp coefficients */
  float *rowDot = smem + fixed, *tiles = rowDot + n;
  if (wantQKM && (fixed + n) * (int64_t)sizeof(float) > ATT_SMEM) {
    poison(A, s0, n, HD, off, base);
    return;
  }
  const bool fits = (fixed + n + 2 * n * dkp) * (int64_t)sizeof(float) <= ATT_SMEM;
  const float scale = A.scale;
  const float *P = A.probs + base, *M = A.mask + base, *D = A.drop ? A.drop + base : nullptr;

  /* Phase 1, rows i: rowDot_i = sum_j P_ij dP_ij with dP_ij = (gOut_i . v_j) D_ij;
     gMask_ij += P_ij (dP_ij - rowDot_i) raw_ij scale; dRaw_ij = P_ij (dP_ij - rowDot_i) M_ij scale;
     gq_i += sum_j dRaw_ij k_j. */
  if (wantQKM) {
    Rows K{A.k + s0 * HD + off, HD}, V{A.v + s0 * HD + off, HD};
    if (fits) {
      load_tile(A.k, s0, n, HD, off, dk, tiles, dkp);
      load_tile(A.v, s0, n, HD, off, dk, tiles + n * dkp, dkp);
      K = Rows{tiles, dkp};
      V = Rows{tiles + n * dkp, dkp};
    }
    __syncthreads();
    for (int64_t i = w; i < n; i += ATT_WARPS) {
      const int64_t r = i * n;
      for (int64_t d = lane; d < dk; d += 32) {
        va[d] = A.q[(s0 + i) * HD + off + d];
        vb[d] = A.gOut[(s0 + i) * HD + off + d];
      }
      __syncwarp();
      float ls = 0.0f;
      for (int64_t j = lane; j < n; j += 32) {
        float dp = dot(vb, V[j], dk);
        if (D) dp *= D[r + j];
        ls += P[r + j] * dp;
      }
      const float rd = (float)__shfl_sync(0xffffffffu, gfc_warp_sum((double)ls), 0);
      if (lane == 0) rowDot[i] = rd;
      float acc[ATT_MAX_DKL] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int64_t j0 = 0; j0 < n; j0 += 32) {
        int64_t j = j0 + lane;
        if (j < n) {
          float dp = dot(vb, V[j], dk);
          if (D) dp *= D[r + j];
          float t = P[r + j] * (dp - rd);
          if (A.gMask) A.gMask[base + r + j] += t * dot(va, K[j], dk) * scale;
          c0[lane] = t * M[r + j] * scale;
        }
        __syncwarp();
        if (A.gq) {
          int64_t cnt = n - j0 < 32 ? n - j0 : 32;
          for (int64_t jj = 0; jj < cnt; jj++) {
            const float c = c0[jj], *kr = K[j0 + jj];
#pragma unroll
            for (int u = 0; u < ATT_MAX_DKL; u++) {
              int64_t d = lane + 32 * u;
              if (d < dk) acc[u] = fmaf(c, kr[d], acc[u]);
            }
          }
        }
        __syncwarp();
      }
      if (A.gq)
#pragma unroll
        for (int u = 0; u < ATT_MAX_DKL; u++) {
          int64_t d = lane + 32 * u;
          if (d < dk) A.gq[(s0 + i) * HD + off + d] += acc[u];
        }
      __syncwarp();
    }
    __syncthreads();  /* rowDot complete; the tiles are reloaded below */
  }
  if (!A.gv && !A.gk) return;

  /* Phase 2, columns j: gv_j += sum_i P_ij D_ij gOut_i; gk_j += sum_i dRaw_ij q_i. */
  Rows Q{A.q + s0 * HD + off, HD}, G{A.gOut + s0 * HD + off, HD};
  if (fits) {
    load_tile(A.q, s0, n, HD, off, dk, tiles, dkp);
    load_tile(A.gOut, s0, n, HD, off, dk, tiles + n * dkp, dkp);
    Q = Rows{tiles, dkp};
    G = Rows{tiles + n * dkp, dkp};
  }
  __syncthreads();
  for (int64_t j = w; j < n; j += ATT_WARPS) {
    for (int64_t d = lane; d < dk; d += 32) {
      va[d] = A.v[(s0 + j) * HD + off + d];
      vb[d] = A.k[(s0 + j) * HD + off + d];
    }
    __syncwarp();
    float av[ATT_MAX_DKL] = {0.0f, 0.0f, 0.0f, 0.0f}, ak[ATT_MAX_DKL] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t i0 = 0; i0 < n; i0 += 32) {
      int64_t i = i0 + lane;
      if (i < n) {
        const int64_t e = i * n + j;
        float p = P[e];
        c0[lane] = D ? p * D[e] : p;
        if (A.gk) {
          float dp = dot(G[i], va, dk);
          if (D) dp *= D[e];
          c1[lane] = p * (dp - rowDot[i]) * M[e] * scale;
        }
      }
      __syncwarp();
      int64_t cnt = n - i0 < 32 ? n - i0 : 32;
      for (int64_t ii = 0; ii < cnt; ii++) {
        const float a = c0[ii], c = A.gk ? c1[ii] : 0.0f, *gr = G[i0 + ii], *qr = Q[i0 + ii];
#pragma unroll
        for (int u = 0; u < ATT_MAX_DKL; u++) {
          int64_t d = lane + 32 * u;
          if (d < dk) {
            if (A.gv) av[u] = fmaf(a, gr[d], av[u]);
            if (A.gk) ak[u] = fmaf(c, qr[d], ak[u]);
          }
        }
      }
      __syncwarp();
    }
#pragma unroll
    for (int u = 0; u < ATT_MAX_DKL; u++) {
      int64_t d = lane + 32 * u;
      if (d < dk) {
        if (A.gv) A.gv[(s0 + j) * HD + off + d] += av[u];
        if (A.gk) A.gk[(s0 + j) * HD + off + d] += ak[u];
      }
    }
    __syncwarp();
  }
}

static int launch(const Att &A, int64_t B, int backward) {
  GFC_REQUIRE_INIT();
  const char *name = backward ? "attentionBackward" : "attentionForward";
  if (B == 0 || A.H == 0 || A.dk == 0) return 0;
  if (A.dk > ATT_MAX_DK)
    return gfc_fail(GFC_EARG, "%s: head size dk = %lld exceeds the %d the CUDA kernel handles", name,
                    (long long)A.dk, ATT_MAX_DK);
  if (B * A.H > 2147483647LL)
    return gfc_fail(GFC_EARG, "%s: %lld (graph, head) pairs exceed the CUDA grid", name, (long long)(B * A.H));
  if (backward) att_backward<<<(unsigned)(B * A.H), ATT_THREADS, ATT_SMEM, gfc_stream()>>>(A);
  else att_forward<<<(unsigned)(B * A.H), ATT_THREADS, ATT_SMEM, gfc_stream()>>>(A);
  return gfc_check_launch(name);
}

int gfc_attention_forward(const float *q, const float *k, const float *v, const float *mask, const int32_t *graphPtr,
                          int64_t B, int64_t H, int64_t dk, double scale, const float *drop, float *out, float *probs) {
  Att A = {q, k, v, mask, drop, nullptr, nullptr, out, probs, nullptr, nullptr, nullptr, nullptr, graphPtr, H, dk,
           (float)scale};
  return launch(A, B, 0);
}

int gfc_attention_backward(const float *q, const float *k, const float *v, const float *mask, const int32_t *graphPtr,
                           int64_t B, int64_t H, int64_t dk, double scale, const float *drop, const float *probs,
                           const float *gOut, float *gq, float *gk, float *gv, float *gMask) {
  Att A = {q, k, v, mask, drop, probs, gOut, nullptr, nullptr, gq, gk, gv, gMask, graphPtr, H, dk, (float)scale};
  return launch(A, B, 1);
}
