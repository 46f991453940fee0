/*
 * Segment reductions over sorted segments (graph pooling), native/segment.c: one thread per
 * (segment, column) walks the segment's rows in order (sums in double), as the C kernel.
 */
#include "gfc_impl.cuh"

__global__ void segment_kernel(int op, const float *x, const int32_t *ptr, int64_t S, float *out, int64_t cols,
                               int32_t *argmax) {
  GFC_GRID_STRIDE(i, S * cols) {
    int64_t s = i / cols, c = i - s * cols, lo = ptr[s], hi = ptr[s + 1];
    if (op == 2) {
      if (lo == hi) {
        out[i] = 0.0f;
        if (argmax) argmax[i] = -1;
        continue;
      }
      float best = x[lo * cols + c];
      int32_t am = (int32_t)lo;
      /* first maximum wins on ties; a NaN wins and stays (propagates like PyTorch) */
      for (int64_t r = lo + 1; r < hi; r++) {
        float v = x[r * cols + c];
        if (v > best || (v != v && best == best)) { best = v; am = (int32_t)r; }
      }
      out[i] = best;
      if (argmax) argmax[i] = am;
    } else {
      double acc = 0;
      for (int64_t r = lo; r < hi; r++) acc += x[r * cols + c];
      double f = op == 1 && hi > lo ? 1.0 / (double)(hi - lo) : 1.0;
      out[i] = (float)(acc * f);
    }
  }
}

int gfc_segment_reduce(int op, const float *x, const int32_t *ptr, int64_t S, float *out, int64_t cols,
                       int32_t *argmax) {
  GFC_REQUIRE_INIT();
  if (S * cols == 0) return 0;
  segment_kernel<<<gfc_blocks(S * cols, 128), 128, 0, gfc_stream()>>>(op, x, ptr, S, out, cols, argmax);
  return gfc_check_launch("segmentReduce");
}

__global__ void segment_bw_kernel(int op, const float *g, const int32_t *ptr, int64_t S, float *gx, int64_t cols,
                                  const int32_t *argmax) {
  GFC_GRID_STRIDE(i, S * cols) {
    int64_t s = i / cols, c = i - s * cols, lo = ptr[s], hi = ptr[s + 1];
    if (op == 2) {
      /* argmax rows lie in segment s (checked by the caller): no two threads touch one element */
      int32_t am = argmax[i];
      if (am >= 0) gx[(int64_t)am * cols + c] += g[i];
    } else {
      double f = op == 1 && hi > lo ? 1.0 / (double)(hi - lo) : 1.0;
      for (int64_t r = lo; r < hi; r++) gx[r * cols + c] = (float)((double)gx[r * cols + c] + (double)g[i] * f);
    }
  }
}

int gfc_segment_reduce_backward(int op, const float *g, const int32_t *ptr, int64_t S, float *gx, int64_t cols,
                                const int32_t *argmax) {
  GFC_REQUIRE_INIT();
  if (S * cols == 0) return 0;
  segment_bw_kernel<<<gfc_blocks(S * cols, 128), 128, 0, gfc_stream()>>>(op, g, ptr, S, gx, cols, argmax);
  return gfc_check_launch("segmentReduceBackward");
}
