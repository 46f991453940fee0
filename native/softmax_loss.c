/*
 * Row softmax / log-softmax and the losses (cross-entropy, BCE-with-logits, L1),
 * in double like the TypeScript twin. Softmax rows are split across threads;
 * losses are summed serially in row order (they are batch-sized).
 */
#include "gf.h"
#include <math.h>

void gf_softmax(const float *x, float *out, int64_t rows, int64_t cols, int lg) {
  int T = gf_threads_for((double)rows * (double)cols * 20.0);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    double mx = -INFINITY;
    for (int64_t c = 0; c < cols; c++) if (xr[c] > mx) mx = xr[c];
    if (mx == -INFINITY) mx = 0;  /* all -inf row: NaN as PyTorch, not exp(-inf + inf) */
    double s = 0;
    for (int64_t c = 0; c < cols; c++) s += exp(xr[c] - mx);
    if (lg) {
      double lse = mx + log(s);
      for (int64_t c = 0; c < cols; c++) o[c] = (float)(xr[c] - lse);
    } else {
      double inv = 1.0 / s;
      for (int64_t c = 0; c < cols; c++) o[c] = (float)(exp(xr[c] - mx) * inv);
    }
  }
}

void gf_softmax_backward(const float *y, const float *g, float *gx, int64_t rows, int64_t cols, int lg) {
  int T = gf_threads_for((double)rows * (double)cols * (lg ? 20.0 : 2.0));
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = y + r * cols, *gr = g + r * cols;
    float *o = gx + r * cols;
    double s = 0;
    if (lg) {
      for (int64_t c = 0; c < cols; c++) s += gr[c];
      for (int64_t c = 0; c < cols; c++) o[c] = (float)((double)o[c] + ((double)gr[c] - exp(yr[c]) * s));
    } else {
      for (int64_t c = 0; c < cols; c++) s += (double)gr[c] * yr[c];
      for (int64_t c = 0; c < cols; c++) o[c] = (float)((double)o[c] + yr[c] * ((double)gr[c] - s));
    }
  }
}

double gf_cross_entropy(const float *logits, const int32_t *target, const float *weight, float *grad,
                        int64_t rows, int64_t cols) {
  double norm = 0, loss = 0;
  for (int64_t r = 0; r < rows; r++) norm += weight ? weight[target[r]] : 1.0;
  for (int64_t r = 0; r < rows; r++) {
    const float *lr = logits + r * cols;
    float *gr = grad + r * cols;
    int32_t t = target[r];
    double w = weight ? weight[t] : 1.0;
    double mx = -INFINITY;
    for (int64_t c = 0; c < cols; c++) if (lr[c] > mx) mx = lr[c];
    double s = 0;
    for (int64_t c = 0; c < cols; c++) s += exp(lr[c] - mx);
    double lse = mx + log(s);
    loss += w * (lse - lr[t]);
    double f = w / norm;
    for (int64_t c = 0; c < cols; c++) gr[c] = (float)(f * exp(lr[c] - lse));
    gr[t] = (float)(f * (exp(lr[t] - lse) - 1.0));
  }
  return loss / norm;  /* rows = 0 or zero weight sum: NaN, as PyTorch */
}

static inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

double gf_bce_with_logits(const float *logits, const float *target, const uint8_t *mask, float *grad, int64_t n) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++) if (!mask || mask[i]) count++;
  if (count == 0) {
    for (int64_t i = 0; i < n; i++) grad[i] = 0.0f;
    return 0;
  }
  double loss = 0, inv = 1.0 / (double)count;
  for (int64_t i = 0; i < n; i++) {
    if (mask && !mask[i]) { grad[i] = 0.0f; continue; }
    double x = logits[i], t = target[i];
    loss += (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
    grad[i] = (float)((sigmoid(x) - t) * inv);
  }
  return loss * inv;
}

double gf_l1(const float *x, const float *y, float *grad, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = (double)x[i] - y[i];
    s += fabs(d);
    grad[i] = (float)((d > 0 ? 1.0 : d < 0 ? -1.0 : d) / (double)n);  /* sign(0) = 0, NaN stays */
  }
  return s / (double)n;
}
