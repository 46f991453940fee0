/*
 * Fused decay mask (native/decay.c): forward expands graph b's packed distance block [n_b, n_b]
 * into the mask blocks [H, n_b, n_b] by table lookup; the backward buckets the upstream gradient
 * by (head, distance) in double.
 *
 * The backward is deterministic without atomics: block (b, h) keeps one histogram per warp in
 * shared memory; a warp groups its 32 lanes by distance (__match_any_sync) and the group's first
 * lane adds the group's values in lane order; warps are merged in order into a per-(b, h) partial
 * in scratch, and a last kernel adds the partials over b in order into sums.
 */
#include "gfc_impl.cuh"

#define DK_THREADS 256
#define SMEM_BUDGET 49152
static_assert((SMEM_BUDGET - 4096) / 8 == GFC_DECAY_MAX_D, "gfc.h states the bucket limit");

__global__ void decay_fwd(const uint16_t *spd, const int32_t *spdPtr, int64_t H, const float *table, int64_t D,
                          float *out) {
  int64_t b = blockIdx.x, h = blockIdx.y;
  int64_t p0 = spdPtr[b], len = (int64_t)spdPtr[b + 1] - p0;
  const uint16_t *s = spd + p0;
  const float *t = table + h * D;
  float *dst = out + H * p0 + h * len;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x) dst[i] = t[s[i]];
}

int gfc_decay_mask(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *table, int64_t D,
                   float *out) {
  GFC_REQUIRE_INIT();
  if (B == 0 || H == 0) return 0;
  if (H > 65535) return gfc_fail(GFC_EARG, "decayMask: %lld heads exceed the 65535 the CUDA grid takes", (long long)H);
  decay_fwd<<<dim3((unsigned)B, (unsigned)H), DK_THREADS, 0, gfc_stream()>>>(spd, spdPtr, H, table, D, out);
  return gfc_check_launch("decayMask");
}

/* part[(b*H + h)*D + d] = sum of g over graph b, head h, distance d (fixed order). W warps. */
__global__ void decay_bw_part(const uint16_t *spd, const int32_t *spdPtr, int64_t H, const float *g, int64_t D,
                              double *part) {
  extern __shared__ double hist[];  /* [W][D] */
  __shared__ float vals[32][32];    /* per warp: the lanes' values */
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5, W = blockDim.x >> 5;
  int64_t b = blockIdx.x, h = blockIdx.y;
  int64_t p0 = spdPtr[b], len = (int64_t)spdPtr[b + 1] - p0;
  const uint16_t *s = spd + p0;
  const float *gg = g + H * p0 + h * len;
  for (int64_t i = threadIdx.x; i < W * D; i += blockDim.x) hist[i] = 0;
  __syncthreads();
  double *mine = hist + w * D;
  for (int64_t base = (int64_t)w * 32; base < len; base += (int64_t)W * 32) {
    int64_t i = base + lane;
    bool valid = i < len;
    int key = valid ? (int)s[i] : -1;
    vals[w][lane] = valid ? gg[i] : 0.0f;
    __syncwarp();
    unsigned grp = __match_any_sync(0xffffffffu, key);
    if (valid && lane == __ffs(grp) - 1) {
      double acc = 0;
      for (unsigned m = grp; m; m &= m - 1) acc += (double)vals[w][__ffs(m) - 1];
      mine[key] += acc;
    }
    __syncwarp();
  }
  __syncthreads();
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
    double acc = 0;
    for (int ww = 0; ww < W; ww++) acc += hist[ww * D + d];
    part[(b * H + h) * D + d] = acc;
  }
}

__global__ void decay_bw_final(const double *part, int64_t B, int64_t H, int64_t D, double *sums) {
  GFC_GRID_STRIDE(i, H * D) {
    double acc = sums[i];
    for (int64_t b = 0; b < B; b++) acc += part[b * H * D + i];
    sums[i] = acc;
  }
}

int gfc_decay_mask_backward(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *g,
                            int64_t D, double *sums) {
  GFC_REQUIRE_INIT();
  if (B == 0 || H == 0 || D == 0) return 0;
  if (H > 65535) return gfc_fail(GFC_EARG, "decayMaskBackward: %lld heads exceed the 65535 the CUDA grid takes",
                                 (long long)H);
  /* histograms of W warps x D doubles must fit the shared-memory budget beside vals (4 KB) */
  int64_t W = (SMEM_BUDGET - 4096) / (D * (int64_t)sizeof(double));
  if (W > 8) W = 8;
  if (W < 1)
    return gfc_fail(GFC_EARG, "decayMaskBackward: %lld distance buckets exceed the %d the CUDA kernel holds",
                    (long long)D, (SMEM_BUDGET - 4096) / (int)sizeof(double));
  double *part = (double *)gfc_scratch((size_t)(B * H * D) * sizeof(double), "decayMaskBackward");
  if (!part) return GFC_ENOMEM;
  decay_bw_part<<<dim3((unsigned)B, (unsigned)H), (unsigned)(32 * W), (size_t)(W * D) * sizeof(double),
                  gfc_stream()>>>(spd, spdPtr, H, g, D, part);
  decay_bw_final<<<gfc_blocks(H * D, 256), 256, 0, gfc_stream()>>>(part, B, H, D, sums);
  gfc_free(part);
  return gfc_check_launch("decayMaskBackward");
}

/* ------------------------------------------------------------------ the table itself (native/decay.c) */
/* Computed where hop lives, so a training step reads nothing back for it; each step rounded to float as
   the C twin. One thread per (h, d); the backward one thread per head, adding over d in order (as the C
   twin: deterministic, no atomics). */
__device__ static void decay_entry(float hv, int64_t d, double slope, float *pre, float *e) {
  *pre = (float)((double)d - (double)hv);
  *e = *pre > 0 ? *pre : (float)(slope * (double)*pre);
}

__global__ void decay_table_kernel(const float *hop, const float *logGamma, int64_t H, int64_t D, double gamma,
                                   double slope, float *table) {
  GFC_GRID_STRIDE(i, H * D) {
    int64_t h = i / D, d = i % D;
    float pre, e;
    decay_entry(hop[h], d, slope, &pre, &e);
    table[i] = logGamma == nullptr ? (float)pow(gamma, (double)e)
                                   : (float)exp((double)(float)((double)e * (double)logGamma[h]));
  }
}

int gfc_decay_table(const float *hop, const float *logGamma, int64_t H, int64_t D, double gamma, double slope,
                    float *table) {
  GFC_REQUIRE_INIT();
  if (H == 0 || D == 0) return 0;
  decay_table_kernel<<<gfc_blocks(H * D, 256), 256, 0, gfc_stream()>>>(hop, logGamma, H, D, gamma, slope, table);
  return gfc_check_launch("decayTable");
}

__global__ void decay_table_bw_kernel(const double *sums, const float *hop, const float *logGamma, int64_t H,
                                      int64_t D, double gamma, double slope, float *gHop, float *gLog) {
  GFC_GRID_STRIDE(h, H) {
    double lg = logGamma == nullptr ? log(gamma) : (double)logGamma[h], gh = 0, gl = 0;
    for (int64_t d = 0; d < D; d++) {
      double S = sums[h * D + d];
      if (S == 0) continue;
      float pre, e;
      decay_entry(hop[h], d, slope, &pre, &e);
      float t = logGamma == nullptr ? (float)pow(gamma, (double)e) : (float)exp((double)(float)((double)e * lg));
      double dz = S * (double)t; /* dL/d(e * log gamma) */
      gh -= dz * lg * (pre > 0 ? 1.0 : slope);
      gl += dz * (double)e;
    }
    if (gHop) gHop[h] += (float)gh;
    if (gLog) gLog[h] += (float)gl;
  }
}

int gfc_decay_table_backward(const double *sums, const float *hop, const float *logGamma, int64_t H, int64_t D,
                             double gamma, double slope, float *gHop, float *gLog) {
  GFC_REQUIRE_INIT();
  if (H == 0 || D == 0 || (gHop == nullptr && gLog == nullptr)) return 0;
  decay_table_bw_kernel<<<gfc_blocks(H, 32), 32, 0, gfc_stream()>>>(sums, hop, logGamma, H, D, gamma, slope, gHop,
                                                                    gLog);
  return gfc_check_launch("decayTableBackward");
}
