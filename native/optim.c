/*
 * Optimiser steps (PyTorch semantics, see kernels.ts), element-wise in double
 * with float32 rounding exactly where the TypeScript twin stores float32 values
 * (m and v are stored, then read back for the update).
 */
#include "gf.h"
#include <math.h>
#include <omp.h>

void gf_adam_step(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weightDecay, double step, int decoupled) {
  double bc1 = 1.0 - pow(beta1, step);
  double bc2Sqrt = sqrt(1.0 - pow(beta2, step));
  double stepSize = lr / bc1;
  int T = gf_threads_for((double)n * 10.0);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    double pi = p[i], gi = g[i];
    if (decoupled) pi = (float)(pi * (1.0 - lr * weightDecay));
    else if (weightDecay != 0) gi = (float)(gi + weightDecay * pi);
    m[i] = (float)(beta1 * m[i] + (1.0 - beta1) * gi);
    v[i] = (float)(beta2 * v[i] + (1.0 - beta2) * gi * gi);
    p[i] = (float)(pi - stepSize * m[i] / (sqrt((double)v[i]) / bc2Sqrt + eps));
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
