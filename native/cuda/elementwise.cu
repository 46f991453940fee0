/*
 * Element-wise kernels (binary with broadcast, unary maps and their backward), mirroring
 * native/elementwise.c: the same double arithmetic per element, rounded to float32 where the
 * C kernel stores. Broadcast gradients (sums over rows or columns) are fixed-order reductions.
 */
#include <math.h>
#include "gfc_impl.cuh"

/* b's index for a[r, c] is r*rs + c*cs (bc 0..3 = full row col scalar) */
static void bc_strides(int bc, int64_t cols, int64_t *rs, int64_t *cs) {
  switch (bc) {
    case 0: *rs = cols; *cs = 1; break;
    case 1: *rs = 0; *cs = 1; break;
    case 2: *rs = 1; *cs = 0; break;
    default: *rs = 0; *cs = 0; break;
  }
}

__global__ void binary_kernel(int op, const float *a, const float *b, float *out, int64_t rows, int64_t cols,
                              int64_t rs, int64_t cs) {
  GFC_GRID_STRIDE(i, rows * cols) {
    int64_t r = i / cols, c = i - r * cols;
    float x = a[i], y = b[r * rs + c * cs];
    out[i] = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
  }
}

int gfc_binary(int op, const float *a, const float *b, float *out, int64_t rows, int64_t cols, int bc) {
  GFC_REQUIRE_INIT();
  int64_t n = rows * cols, rs, cs;
  if (n == 0) return 0;
  bc_strides(bc, cols, &rs, &cs);
  binary_kernel<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(op, a, b, out, rows, cols, rs, cs);
  return gfc_check_launch("binary");
}

/* d(out)/d(b) contribution of one element, in double (native/elementwise.c gb_term). */
__device__ __forceinline__ double gb_term(int op, float a, float b, float g) {
  switch (op) {
    case 0: return g;
    case 1: return -(double)g;
    case 2: return (double)g * a;
    default: { double bb = b; return -(double)g * a / (bb * bb); }
  }
}

/* ga += dL/da (every element), and gb for the full broadcast (one term per element). */
__global__ void binary_bw_elem(int op, const float *a, const float *b, const float *g, float *ga, float *gb,
                               int64_t rows, int64_t cols, int64_t rs, int64_t cs, int full) {
  GFC_GRID_STRIDE(i, rows * cols) {
    int64_t r = i / cols, c = i - r * cols;
    float bv = b[r * rs + c * cs], gv = g[i];
    if (ga) {
      if (op <= 1) ga[i] += gv;
      else if (op == 2) ga[i] = (float)((double)ga[i] + (double)gv * bv);
      else ga[i] = (float)((double)ga[i] + (double)gv / bv);
    }
    if (gb && full) {
      if (op == 0) gb[i] += gv;
      else if (op == 1) gb[i] -= gv;
      else gb[i] = (float)((double)gb[i] + gb_term(op, a[i], bv, gv));
    }
  }
}

/* col broadcast (b [rows]): gb[r] += sum over the row, one warp per row, fixed tree. */
__global__ void binary_bw_col(int op, const float *a, const float *b, const float *g, float *gb, int64_t rows,
                              int64_t cols) {
  int lane = threadIdx.x & 31;
  for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows;
       r += ((int64_t)gridDim.x * blockDim.x) >> 5) {
    double s = 0;
    for (int64_t c = lane; c < cols; c += 32) s += gb_term(op, a[r * cols + c], b[r], g[r * cols + c]);
    s = gfc_warp_sum(s);
    if (lane == 0) gb[r] = (float)((double)gb[r] + s);
  }
}

struct RowTerm {  /* row broadcast (b [cols]): the term summed down column c */
  int op;
  const float *a, *b, *g;
  int64_t cols;
  __device__ double2 operator()(int64_t r, int64_t c) const {
    return make_double2(gb_term(op, a[r * cols + c], b[c], g[r * cols + c]), 0.0);
  }
};
struct AddToF32 {  /* out[c] = (float)(out[c] + s.x) */
  float *out;
  __device__ void operator()(int64_t c, double2 s) const { out[c] = (float)((double)out[c] + s.x); }
};
struct ScalarTerm {
  int op;
  const float *a, *b, *g;
  __device__ double operator()(int64_t i) const { return gb_term(op, a[i], b[0], g[i]); }
};
__global__ void add_double_to_f32(float *out, const double *s) { out[0] = (float)((double)out[0] + *s); }

int gfc_binary_backward(int op, const float *a, const float *b, const float *g, float *ga, float *gb, int64_t rows,
                        int64_t cols, int bc) {
  GFC_REQUIRE_INIT();
  int64_t n = rows * cols, rs, cs;
  bc_strides(bc, cols, &rs, &cs);
  cudaStream_t s = gfc_stream();
  if (n > 0 && (ga || (gb && bc == 0))) {
    binary_bw_elem<<<gfc_blocks(n, 256), 256, 0, s>>>(op, a, b, g, ga, gb, rows, cols, rs, cs, bc == 0);
    int rc = gfc_check_launch("binaryBackward");
    if (rc) return rc;
  }
  if (!gb || bc == 0) return 0;
  if (bc == 2) {
    if (rows == 0) return 0;
    binary_bw_col<<<gfc_blocks(rows * 32, 256), 256, 0, s>>>(op, a, b, g, gb, rows, cols);
    return gfc_check_launch("binaryBackward");
  }
  if (bc == 1) return gfc_col_sums(RowTerm{op, a, b, g, cols}, AddToF32{gb}, rows, cols, "binaryBackward");
  double *tot = (double *)gfc_scratch(sizeof(double), "binaryBackward");
  if (!tot) return GFC_ENOMEM;
  int rc = gfc_sum(ScalarTerm{op, a, b, g}, n, tot, 0, "binaryBackward");
  if (!rc) {
    add_double_to_f32<<<1, 1, 0, s>>>(gb, tot);
    rc = gfc_check_launch("binaryBackward");
  }
  gfc_free(tot);
  return rc;
}

__device__ __forceinline__ float unary_one(int op, float v, double p) {
  switch (op) {
    case 0: return v > 0 ? v : (v != v ? v : 0.0f);
    case 1: return v > 0 ? v : (float)(p * v);
    case 2: return gfc_sigmoid(v);
    case 3: return (float)exp((double)v);
    case 4: return (float)log((double)v);
    case 5: return (float)pow(p, (double)v);
    case 6: return (float)(p * v);
    default: return (float)((double)v + p);
  }
}

__global__ void unary_kernel(int op, const float *x, float *out, int64_t n, double p) {
  GFC_GRID_STRIDE(i, n) out[i] = unary_one(op, x[i], p);
}

int gfc_unary(int op, const float *x, float *out, int64_t n, double p) {
  GFC_REQUIRE_INIT();
  if (n == 0) return 0;
  unary_kernel<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(op, x, out, n, p);
  return gfc_check_launch("unary");
}

__global__ void unary_bw_kernel(int op, const float *x, const float *y, const float *g, float *gx, int64_t n,
                                double p, double lp) {
  GFC_GRID_STRIDE(i, n) {
    double gi = g[i], o = gx[i], d;
    switch (op) {
      case 0: d = x[i] > 0 ? gi : 0.0; break;
      case 1: d = x[i] > 0 ? gi : gi * p; break;
      case 2: d = gi * y[i] * (1.0 - y[i]); break;
      case 3: d = gi * y[i]; break;
      case 4: d = gi / x[i]; break;
      case 5: d = gi * y[i] * lp; break;
      case 6: d = gi * p; break;
      default: d = gi; break;
    }
    gx[i] = (float)(o + d);
  }
}

struct PowBaseTerm {  /* d(p^x)/dp numerator: g x y */
  const float *x, *y, *g;
  __device__ double operator()(int64_t i) const { return (double)g[i] * x[i] * y[i]; }
};

int gfc_unary_backward(int op, const float *x, const float *y, const float *g, float *gx, int64_t n, double p,
                       double *result) {
  GFC_REQUIRE_INIT();
  if (gx && n > 0) {
    unary_bw_kernel<<<gfc_blocks(n, 256), 256, 0, gfc_stream()>>>(op, x, y, g, gx, n, p, op == 5 ? log(p) : 0.0);
    int rc = gfc_check_launch("unaryBackward");
    if (rc) return rc;
  }
  if (op != 5) {
    if (result) *result = 0;
    return 0;
  }
  double *tot = (double *)gfc_scratch(sizeof(double), "unaryBackward");
  if (!tot) return GFC_ENOMEM;
  int rc = gfc_sum(PowBaseTerm{x, y, g}, n, tot, 0, "unaryBackward");
  double s = 0;
  if (!rc) rc = gfc_result(tot, &s, "unaryBackward");
  gfc_free(tot);
  if (!rc && result) *result = s / p;
  return rc;
}

/* reluBackwardBias: the two kernels it replaces on the CPU, in order (zeros, relu's backward into them, the
   bias's column sums), so the bits are those of the chain on this device; one call, no host round trip. */
int gfc_relu_backward_bias(const float *y, const float *g, float *gz, int64_t rows, int64_t cols, float *gb) {
  GFC_REQUIRE_INIT();
  int64_t n = rows * cols;
  int rc = gfc_zero(gz, (size_t)n * sizeof(float));
  if (!rc) rc = gfc_unary_backward(0, y, y, g, gz, n, 0.0, NULL);
  if (rc || !gb) return rc;
  return gfc_binary_backward(0, y, gb, gz, NULL, gb, rows, cols, 1);
}
