/*
 * Optimiser steps (PyTorch semantics), native/optim.c: element-wise in double with float32
 * rounding exactly where the C kernel stores (m and v are stored, then read back).
 */
#include <math.h>
#include "gfc_impl.cuh"

/* mode 0: no weight decay, 1: L2 (Adam), 2: decoupled (AdamW) */
__global__ void adam_kernel(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1,
                            double beta2, double eps, double weightDecay, double stepSize, double bc2Sqrt, int mode) {
  GFC_GRID_STRIDE(i, n) {
    double pi = p[i], gi = g[i];
    if (mode == 2) pi = (float)(pi * (1.0 - lr * weightDecay));
    else if (mode == 1) gi = (float)(gi + weightDecay * pi);
    float mi = (float)(beta1 * m[i] + (1.0 - beta1) * gi);
    float vi = (float)(beta2 * v[i] + (1.0 - beta2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = (float)(pi - stepSize * mi / (sqrt((double)vi) / bc2Sqrt + eps));
  }
}

int gfc_adam_step(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weightDecay, double step, int decoupled) {
  GFC_REQUIRE_INIT();
  if (n == 0) return 0;
  double bc1 = 1.0 - pow(beta1, step), bc2Sqrt = sqrt(1.0 - pow(beta2, step)), stepSize = lr / bc1;
  int mode = decoupled ? 2 : weightDecay != 0 ? 1 : 0;
  adam_kernel<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay,
                                                             stepSize, bc2Sqrt, mode);
  return gfc_check_launch("adamStep");
}

__global__ void sgd_kernel(float *p, const float *g, float *buf, int64_t n, double lr, double momentum,
                           double dampening, double weightDecay, int nesterov, int firstStep) {
  GFC_GRID_STRIDE(i, n) {
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

int gfc_sgd_step(float *p, const float *g, float *buf, int64_t n, double lr, double momentum, double dampening,
                 double weightDecay, int nesterov, int firstStep) {
  GFC_REQUIRE_INIT();
  if (n == 0) return 0;
  sgd_kernel<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(p, g, buf, n, lr, momentum, dampening, weightDecay,
                                                            nesterov, firstStep);
  return gfc_check_launch("sgdStep");
}
