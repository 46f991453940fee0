/*
 * Row softmax / log-softmax and the losses (cross-entropy, BCE-with-logits, L1), in double like
 * native/softmax_loss.c. One warp per row; sums are fixed shuffle trees. Each loss is three
 * launches: the normaliser, the per-row gradient and loss term, and a fixed-order total.
 */
#include <math.h>
#include "gfc_impl.cuh"

#define WARP_ROWS(r, rows)                                                                   \
  for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < (rows);       \
       r += ((int64_t)gridDim.x * blockDim.x) >> 5)

/* max over the lanes' partial maxima (each lane skipped NaN, as the C kernel's `x > mx`) */
__device__ __forceinline__ double warp_max(double v) {
  for (int o = 16; o > 0; o >>= 1) {
    double w = __shfl_xor_sync(0xffffffffu, v, o);
    v = w > v ? w : v;
  }
  return v;
}

__global__ void softmax_kernel(const float *x, float *out, int64_t rows, int64_t cols, int lg) {
  int lane = threadIdx.x & 31;
  WARP_ROWS(r, rows) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    double mx = -INFINITY;
    for (int64_t c = lane; c < cols; c += 32) if (xr[c] > mx) mx = xr[c];
    mx = warp_max(mx);
    if (mx == -INFINITY) mx = 0;  /* all -inf row: NaN as PyTorch */
    double s = 0;
    for (int64_t c = lane; c < cols; c += 32) s += exp(xr[c] - mx);
    s = __shfl_sync(0xffffffffu, gfc_warp_sum(s), 0);
    if (lg) {
      double lse = mx + log(s);
      for (int64_t c = lane; c < cols; c += 32) o[c] = (float)(xr[c] - lse);
    } else {
      double inv = 1.0 / s;
      for (int64_t c = lane; c < cols; c += 32) o[c] = (float)(exp(xr[c] - mx) * inv);
    }
  }
}

int gfc_softmax(const float *x, float *out, int64_t rows, int64_t cols, int log) {
  GFC_REQUIRE_INIT();
  if (rows == 0) return 0;
  softmax_kernel<<<gfc_blocks(rows * 32, 256), 256, 0, gfc_stream()>>>(x, out, rows, cols, log);
  return gfc_check_launch("softmax");
}

__global__ void softmax_bw_kernel(const float *y, const float *g, float *gx, int64_t rows, int64_t cols, int lg) {
  int lane = threadIdx.x & 31;
  WARP_ROWS(r, rows) {
    const float *yr = y + r * cols, *gr = g + r * cols;
    float *o = gx + r * cols;
    double s = 0;
    if (lg) for (int64_t c = lane; c < cols; c += 32) s += gr[c];
    else for (int64_t c = lane; c < cols; c += 32) s += (double)gr[c] * yr[c];
    s = __shfl_sync(0xffffffffu, gfc_warp_sum(s), 0);
    if (lg) for (int64_t c = lane; c < cols; c += 32) o[c] = (float)((double)o[c] + ((double)gr[c] - exp(yr[c]) * s));
    else for (int64_t c = lane; c < cols; c += 32) o[c] = (float)((double)o[c] + yr[c] * ((double)gr[c] - s));
  }
}

int gfc_softmax_backward(const float *y, const float *g, float *gx, int64_t rows, int64_t cols, int log) {
  GFC_REQUIRE_INIT();
  if (rows == 0) return 0;
  softmax_bw_kernel<<<gfc_blocks(rows * 32, 256), 256, 0, gfc_stream()>>>(y, g, gx, rows, cols, log);
  return gfc_check_launch("softmaxBackward");
}

/* Scratch of the losses: [0] the normaliser, [1] the total, then one term per row/element. */
struct WeightTerm {
  const int32_t *target;
  const float *weight;
  __device__ double operator()(int64_t r) const { return weight ? (double)weight[target[r]] : 1.0; }
};
struct ArrayTerm {
  const double *t;
  __device__ double operator()(int64_t i) const { return t[i]; }
};

__global__ void ce_rows(const float *logits, const int32_t *target, const float *weight, float *grad, int64_t rows,
                        int64_t cols, const double *norm, double *terms) {
  int lane = threadIdx.x & 31;
  WARP_ROWS(r, rows) {
    const float *lr = logits + r * cols;
    float *gr = grad + r * cols;
    int32_t t = target[r];
    double w = weight ? weight[t] : 1.0;
    double mx = -INFINITY;
    for (int64_t c = lane; c < cols; c += 32) if (lr[c] > mx) mx = lr[c];
    mx = warp_max(mx);
    double s = 0;
    for (int64_t c = lane; c < cols; c += 32) s += exp(lr[c] - mx);
    s = __shfl_sync(0xffffffffu, gfc_warp_sum(s), 0);
    double lse = mx + log(s), f = w / *norm;
    for (int64_t c = lane; c < cols; c += 32)
      gr[c] = (float)(f * (c == t ? exp(lr[c] - lse) - 1.0 : exp(lr[c] - lse)));
    if (lane == 0) terms[r] = w * (lse - lr[t]);
  }
}

int gfc_cross_entropy(const float *logits, const int32_t *target, const float *weight, float *grad, int64_t rows,
                      int64_t cols, double *result) {
  GFC_REQUIRE_INIT();
  if (rows == 0) {  /* the C kernel's 0/0: NaN, as PyTorch */
    if (result) *result = NAN;
    return 0;
  }
  double *buf = (double *)gfc_scratch((size_t)(rows + 2) * sizeof(double), "crossEntropy");
  if (!buf) return GFC_ENOMEM;
  int rc = gfc_sum(WeightTerm{target, weight}, rows, buf, 0, "crossEntropy");
  if (!rc) {
    ce_rows<<<gfc_blocks(rows * 32, 256), 256, 0, gfc_stream()>>>(logits, target, weight, grad, rows, cols, buf,
                                                                   buf + 2);
    rc = gfc_check_launch("crossEntropy");
  }
  if (!rc) rc = gfc_sum(ArrayTerm{buf + 2}, rows, buf + 1, 0, "crossEntropy");
  double h[2] = {0, 0};
  if (!rc) rc = gfc_download(h, buf, sizeof h);
  gfc_free(buf);
  if (!rc && result) *result = h[1] / h[0];
  return rc;
}

struct MaskCount {
  const uint8_t *mask;
  __device__ double operator()(int64_t i) const { return mask[i] ? 1.0 : 0.0; }
};

__global__ void bce_elems(const float *logits, const float *target, const uint8_t *mask, float *grad, int64_t n,
                          const double *count, double *terms) {
  GFC_GRID_STRIDE(i, n) {
    double cnt = mask ? *count : (double)n;
    if (cnt == 0 || (mask && !mask[i])) {
      grad[i] = 0.0f;
      terms[i] = 0;
      continue;
    }
    double x = logits[i], t = target[i], inv = 1.0 / cnt;
    terms[i] = (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
    double sg = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    grad[i] = (float)((sg - t) * inv);
  }
}

int gfc_bce_with_logits(const float *logits, const float *target, const uint8_t *mask, float *grad, int64_t n,
                        double *result) {
  GFC_REQUIRE_INIT();
  if (n == 0) {
    if (result) *result = 0;
    return 0;
  }
  double *buf = (double *)gfc_scratch((size_t)(n + 2) * sizeof(double), "bceWithLogits");
  if (!buf) return GFC_ENOMEM;
  int rc = mask ? gfc_sum(MaskCount{mask}, n, buf, 0, "bceWithLogits") : 0;
  if (!rc) {
    bce_elems<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(logits, target, mask, grad, n, buf, buf + 2);
    rc = gfc_check_launch("bceWithLogits");
  }
  if (!rc) rc = gfc_sum(ArrayTerm{buf + 2}, n, buf + 1, 0, "bceWithLogits");
  double h[2] = {0, 0};
  if (!rc) rc = gfc_download(h, buf, sizeof h);
  gfc_free(buf);
  if (rc) return rc;
  double count = mask ? h[0] : (double)n;
  if (result) *result = count == 0 ? 0.0 : h[1] * (1.0 / count);
  return 0;
}

__global__ void l1_elems(const float *x, const float *y, float *grad, int64_t n, double *terms) {
  GFC_GRID_STRIDE(i, n) {
    double d = (double)x[i] - y[i];
    terms[i] = fabs(d);
    grad[i] = (float)((d > 0 ? 1.0 : d < 0 ? -1.0 : d) / (double)n);  /* sign(0) = 0, NaN stays */
  }
}

int gfc_l1(const float *x, const float *y, float *grad, int64_t n, double *result) {
  GFC_REQUIRE_INIT();
  if (n == 0) {  /* 0/0 as the C kernel */
    if (result) *result = NAN;
    return 0;
  }
  double *buf = (double *)gfc_scratch((size_t)(n + 1) * sizeof(double), "l1");
  if (!buf) return GFC_ENOMEM;
  l1_elems<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(x, y, grad, n, buf + 1);
  int rc = gfc_check_launch("l1");
  if (!rc) rc = gfc_sum(ArrayTerm{buf + 1}, n, buf, 0, "l1");
  double s = 0;
  if (!rc) rc = gfc_result(buf, &s, "l1");
  gfc_free(buf);
  if (!rc && result) *result = s / (double)n;
  return rc;
}
