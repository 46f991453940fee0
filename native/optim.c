/*
 * Optimiser steps (PyTorch semantics, see kernels.ts), element-wise in double
 * with float32 rounding exactly where the TypeScript twin stores float32 values
 * (m and v are stored, then read back for the update).
 */
#include "gf.h"
#include <math.h>

/* One element of Adam; `mode` 0: no weight decay, 1: L2 (Adam), 2: decoupled (AdamW). */
static inline void adam_one(float *p, const float *g, float *m, float *v, int64_t i, double lr, double beta1,
                            double beta2, double eps, double weightDecay, double stepSize, double bc2Sqrt, int mode) {
  double pi = p[i], gi = g[i];
  if (mode == 2) pi = (float)(pi * (1.0 - lr * weightDecay));
  else if (mode == 1) gi = (float)(gi + weightDecay * pi);
  m[i] = (float)(beta1 * m[i] + (1.0 - beta1) * gi);
  v[i] = (float)(beta2 * v[i] + (1.0 - beta2) * gi * gi);
  p[i] = (float)(pi - stepSize * m[i] / (sqrt((double)v[i]) / bc2Sqrt + eps));
}

/* A loop per mode (constant-folded) in its own per-ISA clone, so it vectorises: the
   mode branch inside the OpenMP-outlined loop kept it scalar (~6 ns/element). */
static GF_CLONES void adam_range(float *p, const float *g, float *m, float *v, int64_t i0, int64_t i1, double lr,
                                 double beta1, double beta2, double eps, double weightDecay, double stepSize,
                                 double bc2Sqrt, int mode) {
  if (mode == 0)
    for (int64_t i = i0; i < i1; i++) adam_one(p, g, m, v, i, lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, 0);
  else if (mode == 1)
    for (int64_t i = i0; i < i1; i++) adam_one(p, g, m, v, i, lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, 1);
  else
    for (int64_t i = i0; i < i1; i++) adam_one(p, g, m, v, i, lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, 2);
}

void gf_adam_step(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weightDecay, double step, int decoupled) {
  double bc1 = 1.0 - pow(beta1, step);
  double bc2Sqrt = sqrt(1.0 - pow(beta2, step));
  double stepSize = lr / bc1;
  int mode = decoupled ? 2 : weightDecay != 0 ? 1 : 0;
  int T = gf_threads_for((double)n * 10.0);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    /* Threads split at multiples of 16 elements: an element's bits depend on its place in
       a 16-wide vector step (the vectorised loop rounds an unfused 8-wide step in its
       tail: docs/PERFORMANCE.md, round 15), so with these splits they do not depend on the
       thread count, and the optimiser may update many parameters of sizes that are
       multiples of 16 in one call with the bits of one call each. */
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t i0 = (n * tid / nt) & ~(int64_t)15, i1 = tid == nt - 1 ? n : (n * (tid + 1) / nt) & ~(int64_t)15;
    adam_range(p, g, m, v, i0, i1, lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, mode);
  }
}

void gf_sgd_step(float *p, const float *g, float *buf, int64_t n, double lr, double momentum, double dampening,
                 double weightDecay, int nesterov, int firstStep) {
  int T = gf_threads_for((double)n * 4.0);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    double d = g[i];
    if (weightDecay != 0) d += weightDecay * p[i];
    if (momentum != 0) {
      double bi = firstStep ? d : momentum * buf[i] + (1.0 - dampening) * d;
      buf[i] = (float)bi;
      d = nesterov ? d + momentum * bi : bi;
    }
    p[i] = (float)(p[i] - lr * d);
  }
}
