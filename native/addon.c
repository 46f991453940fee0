/*
 * Node-API glue: one JS function per kernel of src/tensor/kernels.ts.
 *
 * Every entry point checks, before any pointer is dereferenced: argument count,
 * array types (Float32Array / Int32Array / Uint8Array, `null` only where the
 * interface allows it), sizes (non-negative integers), array lengths against the
 * sizes, index ranges and ptr arrays (ptr[0] = 0, non-decreasing). On a problem
 * it throws Error("<kernel>: <what> (<shapes>)"), worded like kernel_checks.ts.
 * The TypeScript wrapper validates too; this is the second, independent line
 * (test/kernels_native.test.ts calls these functions directly, also under ASan).
 */
#include <node_api.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gf.h"

/* ------------------------------------------------------------------ threads */
static int g_threads = 0;

static int default_threads(void) {
  const char *e = getenv("GRADFORMER_THREADS");
  if (e && *e) {
    char *end;
    long v = strtol(e, &end, 10);
    if (*end == '\0' && v >= 1 && v <= 4096) return (int)v;
  }
  /* One thread unless asked: the model's ops are small (batches of 32-128 graphs),
     and on the 2-core development machine a second OpenMP thread made every preset's
     training step slower (ZINC 1.0 -> 1.9-2.4 s per 600 graphs, molhiv 1.0 -> 2.1-2.3 s):
     waking the sleeping worker costs ~100 us per parallel region there
     (docs/PERFORMANCE.md, round 7). */
  return 1;
}
int gf_threads(void) {
  if (g_threads == 0) gf_set_threads(default_threads());
  return g_threads;
}
void gf_set_threads(int n) {
  g_threads = n;
  omp_set_num_threads(n);
}
int gf_threads_for(double work) {
  return work < 65536.0 ? 1 : gf_threads();
}

/* ------------------------------------------------------------ arg checking */
typedef unsigned __int128 u128;

typedef struct {
  napi_env env;
  const char *k;     /* kernel name */
  napi_value *argv;
  int err;           /* an exception is pending */
} Cx;

static void fail(Cx *c, const char *fmt, ...) {
  if (c->err) return;
  char msg[512];
  int off = snprintf(msg, sizeof msg, "%s: ", c->k);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + off, sizeof msg - (size_t)off, fmt, ap);
  va_end(ap);
  napi_throw_error(c->env, NULL, msg);
  c->err = 1;
}


/* Shortest round-tripping decimal for a double, as JS prints numbers (0.9, not 0.90000000000000002). */
static const char *jsnum(double d, char *buf, size_t n) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  return buf;
}
#define JS(d) jsnum((d), (char[32]){0}, 32)

static const char *TA_NAMES[] = {"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
                                 "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array",
                                 "BigUint64Array"};

static const char *type_name(napi_env env, napi_value v) {
  bool is;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    size_t len;
    if (napi_get_typedarray_info(env, v, &t, &len, NULL, NULL, NULL) == napi_ok &&
        (unsigned)t < sizeof TA_NAMES / sizeof *TA_NAMES)
      return TA_NAMES[t];
    return "TypedArray";
  }
  if (napi_is_array(env, v, &is) == napi_ok && is) return "Array";
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok) return "unknown";
  switch (vt) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_function: return "function";
    case napi_bigint: return "bigint";
    default: return "object";
  }
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype vt;
  return napi_typeof(env, v, &vt) == napi_ok && vt == napi_null;
}

/* Typed array argument i of type `want`; NULL data with *len = 0 when null is allowed and given. */
static void *arg_array(Cx *c, int i, const char *name, napi_typedarray_type want, int nullable, size_t *len,
                       int *present) {
  *len = 0;
  if (present) *present = 0;
  if (c->err) return NULL;
  napi_value v = c->argv[i];
  if (nullable && is_null(c->env, v)) return NULL;
  bool is = false;
  napi_typedarray_type t;
  void *data = NULL;
  if (napi_is_typedarray(c->env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(c->env, v, &t, len, &data, NULL, NULL) != napi_ok || t != want) {
    fail(c, "%s must be a %s, got %s", name, TA_NAMES[want], type_name(c->env, v));
    *len = 0;
    return NULL;
  }
  if (present) *present = 1;
  return data;
}
#define F32(i, name, nullable, lenp, pres) ((float *)arg_array(&C, i, name, napi_float32_array, nullable, lenp, pres))
#define I32(i, name, nullable, lenp, pres) ((int32_t *)arg_array(&C, i, name, napi_int32_array, nullable, lenp, pres))

/* A size: a number holding a non-negative integer <= 2^53. */
static int64_t arg_size(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  double d;
  if (napi_get_value_double(c->env, c->argv[i], &d) != napi_ok) {
    fail(c, "%s must be a non-negative integer, got %s", name, type_name(c->env, c->argv[i]));
    return 0;
  }
  if (!(d >= 0 && d <= 9007199254740991.0) || d != (double)(int64_t)d) {
    fail(c, "%s must be a non-negative integer, got %s", name, JS(d));
    return 0;
  }
  return (int64_t)d;
}

static double arg_num(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  double d;
  if (napi_get_value_double(c->env, c->argv[i], &d) != napi_ok) {
    fail(c, "%s must be a number, got %s", name, type_name(c->env, c->argv[i]));
    return 0;
  }
  return d;
}

static int arg_bool(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  bool b;
  if (napi_get_value_bool(c->env, c->argv[i], &b) != napi_ok) {
    fail(c, "%s must be a boolean, got %s", name, type_name(c->env, c->argv[i]));
    return 0;
  }
  return b;
}

/* Index of the string argument in names[], or a thrown error. */
static int arg_enum(Cx *c, int i, const char *what, const char *const *names, int count) {
  if (c->err) return 0;
  char buf[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(c->env, c->argv[i], buf, sizeof buf, &len) != napi_ok) {
    fail(c, "unknown %s (a %s), expected a string", what, type_name(c->env, c->argv[i]));
    return 0;
  }
  for (int j = 0; j < count; j++)
    if (strcmp(buf, names[j]) == 0) return j;
  char allowed[160] = "";
  for (int j = 0; j < count; j++) {
    strncat(allowed, names[j], sizeof allowed - strlen(allowed) - 1);
    if (j + 1 < count) strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
  }
  fail(c, "unknown %s '%s', expected one of %s", what, buf, allowed);
  return 0;
}

/* `name` has len elements; expected = formula (dims). Skipped when the array was null. */
static void expect_len(Cx *c, const char *name, size_t len, u128 expected, const char *formula, const char *dims,
                       int present) {
  if (c->err || !present) return;
  if ((u128)len != expected) {
    unsigned long long e = expected > (u128)UINT64_MAX ? UINT64_MAX : (unsigned long long)expected;
    fail(c, "%s has %zu elements, expected %s = %llu%s%s%s", name, len, formula, e,
         dims[0] ? " (" : "", dims, dims[0] ? ")" : "");
  }
}

/* ptr [S+1]: at least one element, ptr[0] = 0, non-decreasing. */
static void check_ptr(Cx *c, const char *name, const int32_t *ptr, size_t len) {
  if (c->err) return;
  if (len < 1) { fail(c, "%s has 0 elements, expected at least 1 (S+1 for S segments)", name); return; }
  if (ptr[0] != 0) { fail(c, "%s[0] = %d, expected 0 (%s has %zu elements)", name, ptr[0], name, len); return; }
  for (size_t s = 0; s + 1 < len; s++)
    if (ptr[s + 1] < ptr[s]) {
      fail(c, "%s is not non-decreasing: %s[%zu] = %d > %s[%zu] = %d (%s has %zu elements)", name, name, s, ptr[s],
           name, s + 1, ptr[s + 1], name, len);
      return;
    }
}

static void check_indices(Cx *c, const char *name, const int32_t *idx, size_t len, int64_t bound,
                          const char *boundName) {
  if (c->err) return;
  for (size_t r = 0; r < len; r++)
    if (idx[r] < 0 || (int64_t)idx[r] >= bound) {
      fail(c, "%s[%zu] = %d is out of range [0, %s) (%s=%lld, %s has %zu elements)", name, r, idx[r], boundName,
           boundName, (long long)bound, name, len);
      return;
    }
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static napi_value oom(Cx *c) {
  fail(c, "out of memory for scratch buffers");
  return NULL;
}

/* NARGS arguments, of which the last NOPT may be left out (N-API passes them as undefined). */
#define BEGIN_OPT(NAME, NARGS, NOPT)                                                \
  napi_value argv[NARGS];                                                           \
  size_t argc = NARGS;                                                              \
  Cx C = {env, NAME, argv, 0};                                                      \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  if (argc < NARGS - NOPT) {                                                        \
    fail(&C, "expected %d arguments, got %zu", NARGS - NOPT, argc);                 \
    return NULL;                                                                    \
  }
#define BEGIN(NAME, NARGS) BEGIN_OPT(NAME, NARGS, 0)
#define CK \
  if (C.err) return NULL
#define DIMS(...) \
  char dims[200]; \
  snprintf(dims, sizeof dims, __VA_ARGS__)
#define LL(x) ((long long)(x))

static const char *BINARY_OPS[] = {"add", "sub", "mul", "div"};
static const char *BROADCASTS[] = {"full", "row", "col", "scalar"};
static const char *UNARY_OPS[] = {"relu", "leaky_relu", "sigmoid", "exp", "log", "pow_base", "scale", "add_scalar"};
static const char *SEGMENT_OPS[] = {"sum", "mean", "max"};

/* ------------------------------------------------------------------ kernels */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  BEGIN("setThreads", 1);
  double d = arg_num(&C, 0, "n");
  CK;
  if (!(d >= 1 && d <= 4096) || d != (double)(int)d) {
    fail(&C, "n must be an integer >= 1, got %s", JS(d));
    return NULL;
  }
  gf_set_threads((int)d);
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, gf_threads());
}

static napi_value Matmul(napi_env env, napi_callback_info info) {
  BEGIN_OPT("matmul", 10, 1); /* bias: absent, undefined or null for none */
  napi_valuetype bt;
  if (napi_typeof(env, argv[9], &bt) != napi_ok) return NULL;
  int hasBias = bt != napi_undefined && bt != napi_null;
  int64_t m = arg_size(&C, 3, "m"), k = arg_size(&C, 4, "k"), n = arg_size(&C, 5, "n");
  int ta = arg_bool(&C, 6, "transA"), tb = arg_bool(&C, 7, "transB"), acc = arg_bool(&C, 8, "accumulate");
  size_t la, lb, lc, lbias = 0;
  float *a = F32(0, ta ? "a (transposed)" : "a", 0, &la, NULL);
  float *b = F32(1, tb ? "b (transposed)" : "b", 0, &lb, NULL);
  float *c = F32(2, "c", 0, &lc, NULL);
  float *bias = hasBias ? F32(9, "bias", 0, &lbias, NULL) : NULL;
  CK;
  DIMS("m=%lld, k=%lld, n=%lld", LL(m), LL(k), LL(n));
  expect_len(&C, ta ? "a (transposed)" : "a", la, (u128)m * k, ta ? "k*m" : "m*k", dims, 1);
  expect_len(&C, tb ? "b (transposed)" : "b", lb, (u128)k * n, tb ? "n*k" : "k*n", dims, 1);
  expect_len(&C, "c", lc, (u128)m * n, "m*n", dims, 1);
  expect_len(&C, "bias", lbias, (u128)n, "n", dims, hasBias);
  CK;
  if (gf_matmul(a, b, c, m, k, n, ta, tb, acc, bias) != 0) return oom(&C);
  return NULL;
}

static u128 bsize(int bc, int64_t rows, int64_t cols, const char **formula) {
  switch (bc) {
    case 0: *formula = "rows*cols"; return (u128)rows * cols;
    case 1: *formula = "cols"; return (u128)cols;
    case 2: *formula = "rows"; return (u128)rows;
    default: *formula = "1"; return 1;
  }
}

static napi_value Binary(napi_env env, napi_callback_info info) {
  BEGIN("binary", 7);
  int op = arg_enum(&C, 0, "op", BINARY_OPS, 4);
  int bc = arg_enum(&C, 6, "broadcast", BROADCASTS, 4);
  int64_t rows = arg_size(&C, 4, "rows"), cols = arg_size(&C, 5, "cols");
  size_t la, lb, lo;
  float *a = F32(1, "a", 0, &la, NULL), *b = F32(2, "b", 0, &lb, NULL), *out = F32(3, "out", 0, &lo, NULL);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  const char *fb;
  u128 nb = bsize(bc, rows, cols, &fb);
  char bname[40];
  snprintf(bname, sizeof bname, "b (broadcast '%s')", BROADCASTS[bc]);
  expect_len(&C, "a", la, (u128)rows * cols, "rows*cols", dims, 1);
  expect_len(&C, bname, lb, nb, fb, dims, 1);
  expect_len(&C, "out", lo, (u128)rows * cols, "rows*cols", dims, 1);
  CK;
  gf_binary(op, a, b, out, rows, cols, bc);
  return NULL;
}

static napi_value BinaryBackward(napi_env env, napi_callback_info info) {
  BEGIN("binaryBackward", 9);
  int op = arg_enum(&C, 0, "op", BINARY_OPS, 4);
  int bc = arg_enum(&C, 8, "broadcast", BROADCASTS, 4);
  int64_t rows = arg_size(&C, 6, "rows"), cols = arg_size(&C, 7, "cols");
  size_t la, lb, lg, lga, lgb;
  int pga, pgb;
  float *a = F32(1, "a", 0, &la, NULL), *b = F32(2, "b", 0, &lb, NULL), *g = F32(3, "g", 0, &lg, NULL);
  float *ga = F32(4, "ga", 1, &lga, &pga), *gb = F32(5, "gb", 1, &lgb, &pgb);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  const char *fb;
  u128 nb = bsize(bc, rows, cols, &fb), nn = (u128)rows * cols;
  char bname[40], gbname[40];
  snprintf(bname, sizeof bname, "b (broadcast '%s')", BROADCASTS[bc]);
  snprintf(gbname, sizeof gbname, "gb (broadcast '%s')", BROADCASTS[bc]);
  expect_len(&C, "a", la, nn, "rows*cols", dims, 1);
  expect_len(&C, bname, lb, nb, fb, dims, 1);
  expect_len(&C, "g", lg, nn, "rows*cols", dims, 1);
  expect_len(&C, "ga", lga, nn, "rows*cols", dims, pga);
  expect_len(&C, gbname, lgb, nb, fb, dims, pgb);
  CK;
  gf_binary_backward(op, a, b, g, ga, gb, rows, cols, bc);
  return NULL;
}

static napi_value Unary(napi_env env, napi_callback_info info) {
  BEGIN("unary", 4);
  int op = arg_enum(&C, 0, "op", UNARY_OPS, 8);
  double p = arg_num(&C, 3, "p");
  CK;
  if (op == 5 && !(p > 0)) { fail(&C, "pow_base needs a base p > 0, got %s", JS(p)); return NULL; }
  size_t lx, lo;
  float *x = F32(1, "x", 0, &lx, NULL), *out = F32(2, "out", 0, &lo, NULL);
  CK;
  DIMS("n=%zu", lx);
  expect_len(&C, "out", lo, lx, "x.length", dims, 1);
  CK;
  gf_unary(op, x, out, (int64_t)lx, p);
  return NULL;
}

static napi_value UnaryBackward(napi_env env, napi_callback_info info) {
  BEGIN("unaryBackward", 6);
  int op = arg_enum(&C, 0, "op", UNARY_OPS, 8);
  double p = arg_num(&C, 5, "p");
  CK;
  if (op == 5 && !(p > 0)) { fail(&C, "pow_base needs a base p > 0, got %s", JS(p)); return NULL; }
  size_t lx, ly, lg, lgx;
  int pgx;
  float *x = F32(1, "x", 0, &lx, NULL), *y = F32(2, "y", 0, &ly, NULL), *g = F32(3, "g", 0, &lg, NULL);
  float *gx = F32(4, "gx", 1, &lgx, &pgx);
  CK;
  DIMS("n=%zu", lx);
  expect_len(&C, "y", ly, lx, "x.length", dims, 1);
  expect_len(&C, "g", lg, lx, "x.length", dims, 1);
  expect_len(&C, "gx", lgx, lx, "x.length", dims, pgx);
  CK;
  return num(env, gf_unary_backward(op, x, y, g, gx, (int64_t)lx, p));
}

static napi_value SumAxis(napi_env env, napi_callback_info info) {
  BEGIN("sumAxis", 5);
  double ax = arg_num(&C, 4, "axis");
  CK;
  if (ax != 0 && ax != 1) { fail(&C, "axis must be 0 or 1, got %s", JS(ax)); return NULL; }
  int64_t rows = arg_size(&C, 2, "rows"), cols = arg_size(&C, 3, "cols");
  size_t lx, lo;
  float *x = F32(0, "x", 0, &lx, NULL), *out = F32(1, "out", 0, &lo, NULL);
  CK;
  DIMS("rows=%lld, cols=%lld, axis=%d", LL(rows), LL(cols), (int)ax);
  expect_len(&C, "x", lx, (u128)rows * cols, "rows*cols", dims, 1);
  expect_len(&C, "out", lo, ax == 0 ? (u128)cols : (u128)rows, ax == 0 ? "cols" : "rows", dims, 1);
  CK;
  gf_sum_axis(x, out, rows, cols, (int)ax);
  return NULL;
}

static napi_value SumSquares(napi_env env, napi_callback_info info) {
  BEGIN("sumSquares", 1);
  size_t lx;
  float *x = F32(0, "x", 0, &lx, NULL);
  CK;
  return num(env, gf_sum_squares(x, (int64_t)lx));
}

static napi_value Softmax(napi_env env, napi_callback_info info) {
  BEGIN("softmax", 5);
  int64_t rows = arg_size(&C, 2, "rows"), cols = arg_size(&C, 3, "cols");
  int lg = arg_bool(&C, 4, "log");
  size_t lx, lo;
  float *x = F32(0, "x", 0, &lx, NULL), *out = F32(1, "out", 0, &lo, NULL);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  expect_len(&C, "x", lx, (u128)rows * cols, "rows*cols", dims, 1);
  expect_len(&C, "out", lo, (u128)rows * cols, "rows*cols", dims, 1);
  CK;
  gf_softmax(x, out, rows, cols, lg);
  return NULL;
}

static napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  BEGIN("softmaxBackward", 6);
  int64_t rows = arg_size(&C, 3, "rows"), cols = arg_size(&C, 4, "cols");
  int lg = arg_bool(&C, 5, "log");
  size_t ly, lg_, lgx;
  float *y = F32(0, "y", 0, &ly, NULL), *g = F32(1, "g", 0, &lg_, NULL), *gx = F32(2, "gx", 0, &lgx, NULL);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  u128 nn = (u128)rows * cols;
  expect_len(&C, "y", ly, nn, "rows*cols", dims, 1);
  expect_len(&C, "g", lg_, nn, "rows*cols", dims, 1);
  expect_len(&C, "gx", lgx, nn, "rows*cols", dims, 1);
  CK;
  gf_softmax_backward(y, g, gx, rows, cols, lg);
  return NULL;
}

static napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  BEGIN("crossEntropy", 6);
  int64_t rows = arg_size(&C, 4, "rows"), cols = arg_size(&C, 5, "cols");
  size_t ll, lt, lw, lg;
  int pw;
  float *logits = F32(0, "logits", 0, &ll, NULL);
  int32_t *target = I32(1, "target", 0, &lt, NULL);
  float *w = F32(2, "weight", 1, &lw, &pw), *grad = F32(3, "grad", 0, &lg, NULL);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  expect_len(&C, "logits", ll, (u128)rows * cols, "rows*cols", dims, 1);
  expect_len(&C, "target", lt, (u128)rows, "rows", dims, 1);
  expect_len(&C, "weight", lw, (u128)cols, "cols", dims, pw);
  expect_len(&C, "grad", lg, (u128)rows * cols, "rows*cols", dims, 1);
  check_indices(&C, "target", target, lt, cols, "cols");
  CK;
  return num(env, gf_cross_entropy(logits, target, w, grad, rows, cols));
}

static napi_value BceWithLogits(napi_env env, napi_callback_info info) {
  BEGIN("bceWithLogits", 4);
  size_t ll, lt, lm, lg;
  int pm;
  float *logits = F32(0, "logits", 0, &ll, NULL), *target = F32(1, "target", 0, &lt, NULL);
  uint8_t *mask = (uint8_t *)arg_array(&C, 2, "mask", napi_uint8_array, 1, &lm, &pm);
  float *grad = F32(3, "grad", 0, &lg, NULL);
  CK;
  DIMS("n=%zu", ll);
  expect_len(&C, "target", lt, ll, "n", dims, 1);
  expect_len(&C, "mask", lm, ll, "n", dims, pm);
  expect_len(&C, "grad", lg, ll, "n", dims, 1);
  CK;
  return num(env, gf_bce_with_logits(logits, target, pm ? mask : NULL, grad, (int64_t)ll));
}

static napi_value L1(napi_env env, napi_callback_info info) {
  BEGIN("l1", 3);
  size_t lx, ly, lg;
  float *x = F32(0, "x", 0, &lx, NULL), *y = F32(1, "y", 0, &ly, NULL), *grad = F32(2, "grad", 0, &lg, NULL);
  CK;
  DIMS("n=%zu", lx);
  expect_len(&C, "y", ly, lx, "n", dims, 1);
  expect_len(&C, "grad", lg, lx, "n", dims, 1);
  CK;
  return num(env, gf_l1(x, y, grad, (int64_t)lx));
}

static napi_value GatherRows(napi_env env, napi_callback_info info) {
  BEGIN("gatherRows", 5);
  int64_t xRows = arg_size(&C, 3, "xRows"), cols = arg_size(&C, 4, "cols");
  size_t lx, li, lo;
  float *x = F32(0, "x", 0, &lx, NULL), *out = F32(2, "out", 0, &lo, NULL);
  int32_t *idx = I32(1, "idx", 0, &li, NULL);
  CK;
  DIMS("xRows=%lld, cols=%lld, rows=%zu", LL(xRows), LL(cols), li);
  expect_len(&C, "x", lx, (u128)xRows * cols, "xRows*cols", dims, 1);
  expect_len(&C, "out", lo, (u128)li * cols, "idx.length*cols", dims, 1);
  check_indices(&C, "idx", idx, li, xRows, "xRows");
  CK;
  gf_gather_rows(x, idx, out, (int64_t)li, cols);
  return NULL;
}

static napi_value ScatterAddRows(napi_env env, napi_callback_info info) {
  BEGIN("scatterAddRows", 5);
  int64_t outRows = arg_size(&C, 3, "outRows"), cols = arg_size(&C, 4, "cols");
  size_t ls, li, lo;
  float *src = F32(0, "src", 0, &ls, NULL), *out = F32(2, "out", 0, &lo, NULL);
  int32_t *idx = I32(1, "idx", 0, &li, NULL);
  CK;
  DIMS("outRows=%lld, cols=%lld, rows=%zu", LL(outRows), LL(cols), li);
  expect_len(&C, "src", ls, (u128)li * cols, "idx.length*cols", dims, 1);
  expect_len(&C, "out", lo, (u128)outRows * cols, "outRows*cols", dims, 1);
  check_indices(&C, "idx", idx, li, outRows, "outRows");
  CK;
  gf_scatter_add_rows(src, idx, out, (int64_t)li, cols);
  return NULL;
}

/* copyCols (add = 0) and addSliceCols (add = 1) share their checks. */
static napi_value cols_common(napi_env env, napi_callback_info info, int add) {
  BEGIN(add ? "addSliceCols" : "copyCols", 6);
  int64_t rows = arg_size(&C, 2, "rows"), srcCols = arg_size(&C, 3, "srcCols"), outCols = arg_size(&C, 4, "outCols"),
          off = arg_size(&C, 5, "off");
  size_t ls, lo;
  float *src = F32(0, "src", 0, &ls, NULL), *out = F32(1, "out", 0, &lo, NULL);
  CK;
  DIMS("rows=%lld, srcCols=%lld, outCols=%lld, off=%lld", LL(rows), LL(srcCols), LL(outCols), LL(off));
  if (!add && off + srcCols > outCols) {
    fail(&C, "slice off+srcCols = %lld exceeds outCols (%s)", LL(off + srcCols), dims);
    return NULL;
  }
  if (add && off + outCols > srcCols) {
    fail(&C, "slice off+outCols = %lld exceeds srcCols (%s)", LL(off + outCols), dims);
    return NULL;
  }
  expect_len(&C, "src", ls, (u128)rows * srcCols, "rows*srcCols", dims, 1);
  expect_len(&C, "out", lo, (u128)rows * outCols, "rows*outCols", dims, 1);
  CK;
  if (add) gf_add_slice_cols(src, out, rows, srcCols, outCols, off);
  else gf_copy_cols(src, out, rows, srcCols, outCols, off);
  return NULL;
}
static napi_value CopyCols(napi_env env, napi_callback_info info) { return cols_common(env, info, 0); }
static napi_value AddSliceCols(napi_env env, napi_callback_info info) { return cols_common(env, info, 1); }

static napi_value SegmentReduce(napi_env env, napi_callback_info info) {
  BEGIN("segmentReduce", 6);
  int op = arg_enum(&C, 0, "op", SEGMENT_OPS, 3);
  int64_t cols = arg_size(&C, 4, "cols");
  size_t lx, lp, lo, la;
  int pa;
  float *x = F32(1, "x", 0, &lx, NULL), *out = F32(3, "out", 0, &lo, NULL);
  int32_t *ptr = I32(2, "ptr", 0, &lp, NULL), *argmax = I32(5, "argmax", 1, &la, &pa);
  check_ptr(&C, "ptr", ptr, lp);
  CK;
  int64_t S = (int64_t)lp - 1, rows = ptr[S];
  DIMS("S=%lld, ptr[S]=%lld, cols=%lld", LL(S), LL(rows), LL(cols));
  expect_len(&C, "x", lx, (u128)rows * cols, "ptr[S]*cols", dims, 1);
  expect_len(&C, "out", lo, (u128)S * cols, "S*cols", dims, 1);
  expect_len(&C, "argmax", la, (u128)S * cols, "S*cols", dims, pa);
  CK;
  if (gf_segment_reduce(op, x, ptr, S, out, cols, pa ? argmax : NULL) != 0) return oom(&C);
  return NULL;
}

static napi_value SegmentReduceBackward(napi_env env, napi_callback_info info) {
  BEGIN("segmentReduceBackward", 6);
  int op = arg_enum(&C, 0, "op", SEGMENT_OPS, 3);
  int64_t cols = arg_size(&C, 4, "cols");
  size_t lg, lp, lgx, la;
  int pa;
  float *g = F32(1, "g", 0, &lg, NULL), *gx = F32(3, "gx", 0, &lgx, NULL);
  int32_t *ptr = I32(2, "ptr", 0, &lp, NULL), *argmax = I32(5, "argmax", 1, &la, &pa);
  check_ptr(&C, "ptr", ptr, lp);
  CK;
  int64_t S = (int64_t)lp - 1, rows = ptr[S];
  DIMS("S=%lld, ptr[S]=%lld, cols=%lld", LL(S), LL(rows), LL(cols));
  expect_len(&C, "g", lg, (u128)S * cols, "S*cols", dims, 1);
  expect_len(&C, "gx", lgx, (u128)rows * cols, "ptr[S]*cols", dims, 1);
  CK;
  if (op == 2) {
    if (!pa) { fail(&C, "op 'max' needs the argmax array written by segmentReduce (%s)", dims); return NULL; }
    expect_len(&C, "argmax", la, (u128)S * cols, "S*cols", dims, 1);
    CK;
    /* The winner of segment s must lie in its segment (-1 only for an empty one). */
    for (int64_t s = 0; s < S; s++) {
      int32_t lo = ptr[s], hi = ptr[s + 1];
      for (int64_t c = 0; c < cols; c++) {
        int32_t r = argmax[s * cols + c];
        int ok = lo == hi ? r == -1 : (r >= lo && r < hi);
        if (!ok) {
          fail(&C, "argmax[%lld] = %d is outside segment %lld rows [%d, %d) (%s)", LL(s * cols + c), r, LL(s), lo,
               hi, dims);
          return NULL;
        }
      }
    }
  }
  gf_segment_reduce_backward(op, g, ptr, S, gx, cols, argmax);
  return NULL;
}

static napi_value BatchNorm(napi_env env, napi_callback_info info) {
  BEGIN("batchNorm", 13);
  int64_t rows = arg_size(&C, 2, "rows"), cols = arg_size(&C, 3, "cols");
  int training = arg_bool(&C, 8, "training");
  double momentum = arg_num(&C, 9, "momentum"), eps = arg_num(&C, 10, "eps");
  size_t lx, lo, lw, lb, lrm, lrv, lsm, lsi;
  int pw, pb, prm, prv;
  float *x = F32(0, "x", 0, &lx, NULL), *out = F32(1, "out", 0, &lo, NULL);
  float *w = F32(4, "weight", 1, &lw, &pw), *b = F32(5, "bias", 1, &lb, &pb);
  float *rm = F32(6, "runningMean", 1, &lrm, &prm), *rv = F32(7, "runningVar", 1, &lrv, &prv);
  float *sm = F32(11, "saveMean", 0, &lsm, NULL), *si = F32(12, "saveInvStd", 0, &lsi, NULL);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  u128 nn = (u128)rows * cols;
  expect_len(&C, "x", lx, nn, "rows*cols", dims, 1);
  expect_len(&C, "out", lo, nn, "rows*cols", dims, 1);
  expect_len(&C, "weight", lw, cols, "cols", dims, pw);
  expect_len(&C, "bias", lb, cols, "cols", dims, pb);
  expect_len(&C, "runningMean", lrm, cols, "cols", dims, prm);
  expect_len(&C, "runningVar", lrv, cols, "cols", dims, prv);
  expect_len(&C, "saveMean", lsm, cols, "cols", dims, 1);
  expect_len(&C, "saveInvStd", lsi, cols, "cols", dims, 1);
  CK;
  if (prm != prv) { fail(&C, "runningMean and runningVar must both be given or both be null (%s)", dims); return NULL; }
  if (!training && !prm) { fail(&C, "eval mode needs runningMean and runningVar (%s)", dims); return NULL; }
  if (training && rows == 0) {
    fail(&C, "training mode needs at least 1 row to compute batch statistics (%s)", dims);
    return NULL;
  }
  gf_batch_norm(x, out, rows, cols, pw ? w : NULL, pb ? b : NULL, prm ? rm : NULL, prv ? rv : NULL, training,
                momentum, eps, sm, si);
  return NULL;
}

static napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  BEGIN("batchNormBackward", 11);
  int64_t rows = arg_size(&C, 2, "rows"), cols = arg_size(&C, 3, "cols");
  int training = arg_bool(&C, 7, "training");
  size_t lx, lg, lw, lsm, lsi, lgx, lgw, lgb;
  int pw, pgx, pgw, pgb;
  float *x = F32(0, "x", 0, &lx, NULL), *g = F32(1, "g", 0, &lg, NULL), *w = F32(4, "weight", 1, &lw, &pw);
  float *sm = F32(5, "saveMean", 0, &lsm, NULL), *si = F32(6, "saveInvStd", 0, &lsi, NULL);
  float *gx = F32(8, "gx", 1, &lgx, &pgx), *gw = F32(9, "gw", 1, &lgw, &pgw), *gb = F32(10, "gb", 1, &lgb, &pgb);
  CK;
  DIMS("rows=%lld, cols=%lld", LL(rows), LL(cols));
  u128 nn = (u128)rows * cols;
  expect_len(&C, "x", lx, nn, "rows*cols", dims, 1);
  expect_len(&C, "g", lg, nn, "rows*cols", dims, 1);
  expect_len(&C, "weight", lw, cols, "cols", dims, pw);
  expect_len(&C, "saveMean", lsm, cols, "cols", dims, 1);
  expect_len(&C, "saveInvStd", lsi, cols, "cols", dims, 1);
  expect_len(&C, "gx", lgx, nn, "rows*cols", dims, pgx);
  expect_len(&C, "gw", lgw, cols, "cols", dims, pgw);
  expect_len(&C, "gb", lgb, cols, "cols", dims, pgb);
  CK;
  if (gf_batch_norm_backward(x, g, rows, cols, pw ? w : NULL, sm, si, training, pgx ? gx : NULL, pgw ? gw : NULL,
                             pgb ? gb : NULL) != 0)
    return oom(&C);
  return NULL;
}

/* Shared attention checks; returns B (graphs) and fills N, sumSq. */
static int64_t att_common(Cx *c, size_t lq, size_t lk, size_t lv, size_t lm, size_t ld, int pd, const int32_t *ptr,
                          size_t lp, int64_t H, int64_t dk, int64_t *N, u128 *sumSq) {
  check_ptr(c, "graphPtr", ptr, lp);
  if (c->err) return 0;
  int64_t B = (int64_t)lp - 1;
  *N = ptr[B];
  u128 sq = 0;
  for (int64_t b = 0; b < B; b++) { u128 n = (u128)(ptr[b + 1] - ptr[b]); sq += n * n; }
  *sumSq = sq;
  char dims[200], mdims[200];
  snprintf(dims, sizeof dims, "N=%lld, H=%lld, dk=%lld, B=%lld", LL(*N), LL(H), LL(dk), LL(B));
  snprintf(mdims, sizeof mdims, "H=%lld, sumNb2=%llu, B=%lld", LL(H), (unsigned long long)sq, LL(B));
  u128 nd = (u128)*N * H * dk;
  expect_len(c, "q", lq, nd, "N*H*dk", dims, 1);
  expect_len(c, "k", lk, nd, "N*H*dk", dims, 1);
  expect_len(c, "v", lv, nd, "N*H*dk", dims, 1);
  expect_len(c, "mask", lm, (u128)H * sq, "H*sum(n_b^2)", mdims, 1);
  expect_len(c, "drop", ld, (u128)H * sq, "H*sum(n_b^2)", mdims, pd);
  return B;
}

static napi_value AttentionForward(napi_env env, napi_callback_info info) {
  BEGIN("attentionForward", 11);
  int64_t H = arg_size(&C, 5, "H"), dk = arg_size(&C, 6, "dk");
  double scale = arg_num(&C, 7, "scale");
  size_t lq, lk, lv, lm, lp, ld, lo, lpr;
  int pd;
  float *q = F32(0, "q", 0, &lq, NULL), *k = F32(1, "k", 0, &lk, NULL), *v = F32(2, "v", 0, &lv, NULL);
  float *mask = F32(3, "mask", 0, &lm, NULL);
  int32_t *ptr = I32(4, "graphPtr", 0, &lp, NULL);
  float *drop = F32(8, "drop", 1, &ld, &pd), *out = F32(9, "out", 0, &lo, NULL), *probs = F32(10, "probs", 0, &lpr, NULL);
  CK;
  int64_t N;
  u128 sq;
  int64_t B = att_common(&C, lq, lk, lv, lm, ld, pd, ptr, lp, H, dk, &N, &sq);
  CK;
  DIMS("N=%lld, H=%lld, dk=%lld", LL(N), LL(H), LL(dk));
  char mdims[120];
  snprintf(mdims, sizeof mdims, "H=%lld, sumNb2=%llu", LL(H), (unsigned long long)sq);
  expect_len(&C, "out", lo, (u128)N * H * dk, "N*H*dk", dims, 1);
  expect_len(&C, "probs", lpr, (u128)H * sq, "H*sum(n_b^2)", mdims, 1);
  CK;
  if (gf_attention_forward(q, k, v, mask, ptr, B, H, dk, scale, pd ? drop : NULL, out, probs) != 0) return oom(&C);
  return NULL;
}

static napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  BEGIN("attentionBackward", 15);
  int64_t H = arg_size(&C, 5, "H"), dk = arg_size(&C, 6, "dk");
  double scale = arg_num(&C, 7, "scale");
  size_t lq, lk, lv, lm, lp, ld, lpr, lgo, lgq, lgk, lgv, lgm;
  int pd, pgq, pgk, pgv, pgm;
  float *q = F32(0, "q", 0, &lq, NULL), *k = F32(1, "k", 0, &lk, NULL), *v = F32(2, "v", 0, &lv, NULL);
  float *mask = F32(3, "mask", 0, &lm, NULL);
  int32_t *ptr = I32(4, "graphPtr", 0, &lp, NULL);
  float *drop = F32(8, "drop", 1, &ld, &pd), *probs = F32(9, "probs", 0, &lpr, NULL);
  float *gOut = F32(10, "gOut", 0, &lgo, NULL);
  float *gq = F32(11, "gq", 1, &lgq, &pgq), *gk = F32(12, "gk", 1, &lgk, &pgk), *gv = F32(13, "gv", 1, &lgv, &pgv);
  float *gm = F32(14, "gMask", 1, &lgm, &pgm);
  CK;
  int64_t N;
  u128 sq;
  int64_t B = att_common(&C, lq, lk, lv, lm, ld, pd, ptr, lp, H, dk, &N, &sq);
  CK;
  DIMS("N=%lld, H=%lld, dk=%lld", LL(N), LL(H), LL(dk));
  char mdims[120];
  snprintf(mdims, sizeof mdims, "H=%lld, sumNb2=%llu", LL(H), (unsigned long long)sq);
  u128 nd = (u128)N * H * dk;
  expect_len(&C, "probs", lpr, (u128)H * sq, "H*sum(n_b^2)", mdims, 1);
  expect_len(&C, "gOut", lgo, nd, "N*H*dk", dims, 1);
  expect_len(&C, "gq", lgq, nd, "N*H*dk", dims, pgq);
  expect_len(&C, "gk", lgk, nd, "N*H*dk", dims, pgk);
  expect_len(&C, "gv", lgv, nd, "N*H*dk", dims, pgv);
  expect_len(&C, "gMask", lgm, (u128)H * sq, "H*sum(n_b^2)", mdims, pgm);
  CK;
  if (gf_attention_backward(q, k, v, mask, ptr, B, H, dk, scale, pd ? drop : NULL, probs, gOut, pgq ? gq : NULL,
                            pgk ? gk : NULL, pgv ? gv : NULL, pgm ? gm : NULL) != 0)
    return oom(&C);
  return NULL;
}

static napi_value AdamStep(napi_env env, napi_callback_info info) {
  BEGIN("adamStep", 11);
  double lr = arg_num(&C, 4, "lr"), b1 = arg_num(&C, 5, "beta1"), b2 = arg_num(&C, 6, "beta2");
  double eps = arg_num(&C, 7, "eps"), wd = arg_num(&C, 8, "weightDecay"), step = arg_num(&C, 9, "step");
  int dec = arg_bool(&C, 10, "decoupled");
  size_t lp, lg, lm, lv;
  float *p = F32(0, "p", 0, &lp, NULL), *g = F32(1, "g", 0, &lg, NULL), *m = F32(2, "m", 0, &lm, NULL),
        *v = F32(3, "v", 0, &lv, NULL);
  CK;
  DIMS("n=%zu", lp);
  expect_len(&C, "g", lg, lp, "n", dims, 1);
  expect_len(&C, "m", lm, lp, "n", dims, 1);
  expect_len(&C, "v", lv, lp, "n", dims, 1);
  CK;
  if (!(step >= 1 && step <= 9007199254740991.0) || step != (double)(int64_t)step) {
    fail(&C, "step must be an integer >= 1 (1-based), got %s", JS(step));
    return NULL;
  }
  gf_adam_step(p, g, m, v, (int64_t)lp, lr, b1, b2, eps, wd, step, dec);
  return NULL;
}

static napi_value UniformMask(napi_env env, napi_callback_info info) {
  BEGIN("uniformMask", 5);
  size_t ls, lo;
  uint32_t *st = (uint32_t *)arg_array(&C, 0, "state", napi_uint32_array, 0, &ls, NULL);
  float *out = F32(1, "out", 0, &lo, NULL);
  double thr = arg_num(&C, 2, "threshold"), keep = arg_num(&C, 3, "keep");
  int below = arg_bool(&C, 4, "below");
  CK;
  DIMS("n=%zu", lo);
  expect_len(&C, "state", ls, 4, "4", dims, 1);
  CK;
  gf_uniform_mask(st, out, (int64_t)lo, thr, (float)keep, below);
  return NULL;
}

static napi_value SgdStep(napi_env env, napi_callback_info info) {
  BEGIN("sgdStep", 9);
  double lr = arg_num(&C, 3, "lr"), mom = arg_num(&C, 4, "momentum"), damp = arg_num(&C, 5, "dampening");
  double wd = arg_num(&C, 6, "weightDecay");
  int nest = arg_bool(&C, 7, "nesterov"), first = arg_bool(&C, 8, "firstStep");
  size_t lp, lg, lb;
  int pb;
  float *p = F32(0, "p", 0, &lp, NULL), *g = F32(1, "g", 0, &lg, NULL), *buf = F32(2, "buf", 1, &lb, &pb);
  CK;
  DIMS("n=%zu", lp);
  expect_len(&C, "g", lg, lp, "n", dims, 1);
  expect_len(&C, "buf", lb, lp, "n", dims, pb);
  CK;
  if (mom != 0 && !pb) { fail(&C, "momentum %s needs a momentum buffer, got null (n=%zu)", JS(mom), lp); return NULL; }
  gf_sgd_step(p, g, pb ? buf : NULL, (int64_t)lp, lr, mom, damp, wd, nest, first);
  return NULL;
}

/* Shared checks of decayMask / decayMaskBackward; returns B (graphs). */
static int64_t decay_common(Cx *c, const uint16_t *spd, size_t ls, const int32_t *ptr, size_t lp, int64_t H,
                            size_t lt, int64_t D, size_t lo, const char *tname, const char *oname) {
  check_ptr(c, "spdPtr", ptr, lp);
  if (c->err) return 0;
  int64_t B = (int64_t)lp - 1;
  if ((size_t)ptr[B] != ls) {
    fail(c, "spdPtr[%lld] = %d, expected the spd length %zu (B=%lld)", LL(B), ptr[B], ls, LL(B));
    return 0;
  }
  if (D < 1) { fail(c, "D must be >= 1 (max distance + 1), got %lld", LL(D)); return 0; }
  DIMS("H=%lld, D=%lld", LL(H), LL(D));
  expect_len(c, tname, lt, (u128)H * D, "H*D", dims, 1);
  char odims[120];
  snprintf(odims, sizeof odims, "H=%lld, sumNb2=%zu", LL(H), ls);
  expect_len(c, oname, lo, (u128)H * ls, "H*sum(n_b^2)", odims, 1);
  if (c->err) return 0;
  for (size_t i = 0; i < ls; i++)
    if ((int64_t)spd[i] >= D) {
      fail(c, "spd[%zu] = %u is out of range [0, D) (D=%lld, spd has %zu elements)", i, (unsigned)spd[i], LL(D), ls);
      return 0;
    }
  return B;
}

static napi_value DecayMask(napi_env env, napi_callback_info info) {
  BEGIN("decayMask", 6);
  size_t ls, lp, lt, lo;
  uint16_t *spd = (uint16_t *)arg_array(&C, 0, "spd", napi_uint16_array, 0, &ls, NULL);
  int32_t *ptr = I32(1, "spdPtr", 0, &lp, NULL);
  int64_t H = arg_size(&C, 2, "H");
  float *table = F32(3, "table", 0, &lt, NULL);
  int64_t D = arg_size(&C, 4, "D");
  float *out = F32(5, "out", 0, &lo, NULL);
  CK;
  int64_t B = decay_common(&C, spd, ls, ptr, lp, H, lt, D, lo, "table", "out");
  CK;
  gf_decay_mask(spd, ptr, B, H, table, D, out);
  return NULL;
}

static napi_value DecayMaskBackward(napi_env env, napi_callback_info info) {
  BEGIN("decayMaskBackward", 6);
  size_t ls, lp, lg, lsum;
  uint16_t *spd = (uint16_t *)arg_array(&C, 0, "spd", napi_uint16_array, 0, &ls, NULL);
  int32_t *ptr = I32(1, "spdPtr", 0, &lp, NULL);
  int64_t H = arg_size(&C, 2, "H");
  float *g = F32(3, "g", 0, &lg, NULL);
  int64_t D = arg_size(&C, 4, "D");
  double *sums = (double *)arg_array(&C, 5, "sums", napi_float64_array, 0, &lsum, NULL);
  CK;
  int64_t B = decay_common(&C, spd, ls, ptr, lp, H, lsum, D, lg, "sums", "g");
  CK;
  gf_decay_mask_backward(spd, ptr, B, H, g, D, sums);
  return NULL;
}

/* gineMessage / gineMessageBackward share their checks: x [xRows, cols], e [E, cols],
   src/dst [E] (src < xRows, dst < outRows), the [outRows, cols] array at argument 4. */
static int64_t gine_common(Cx *cx, size_t lx, size_t le, const int32_t *src, size_t lsrc, const int32_t *dst,
                           size_t ldst, size_t lo, const char *oname, int64_t xRows, int64_t outRows, int64_t cols) {
  Cx C = *cx;
  DIMS("xRows=%lld, outRows=%lld, cols=%lld, E=%zu", LL(xRows), LL(outRows), LL(cols), lsrc);
  if (ldst != lsrc) fail(&C, "dst has %zu entries but src has %zu (one per edge) (%s)", ldst, lsrc, dims);
  expect_len(&C, "x", lx, (u128)xRows * cols, "xRows*cols", dims, 1);
  expect_len(&C, "e", le, (u128)lsrc * cols, "E*cols", dims, 1);
  expect_len(&C, oname, lo, (u128)outRows * cols, "outRows*cols", dims, 1);
  check_indices(&C, "src", src, lsrc, xRows, "xRows");
  check_indices(&C, "dst", dst, ldst, outRows, "outRows");
  cx->err = C.err;
  return (int64_t)lsrc;
}

static napi_value GineMessage(napi_env env, napi_callback_info info) {
  BEGIN("gineMessage", 8);
  size_t lx, le, ls, ld, lo;
  float *x = F32(0, "x", 0, &lx, NULL), *e = F32(1, "e", 0, &le, NULL);
  int32_t *src = I32(2, "src", 0, &ls, NULL), *dst = I32(3, "dst", 0, &ld, NULL);
  float *out = F32(4, "out", 0, &lo, NULL);
  int64_t xRows = arg_size(&C, 5, "xRows"), outRows = arg_size(&C, 6, "outRows"), cols = arg_size(&C, 7, "cols");
  CK;
  int64_t E = gine_common(&C, lx, le, src, ls, dst, ld, lo, "out", xRows, outRows, cols);
  CK;
  gf_gine_message(x, e, src, dst, out, E, cols);
  return NULL;
}

static napi_value GineMessageBackward(napi_env env, napi_callback_info info) {
  BEGIN("gineMessageBackward", 10);
  size_t lx, le, ls, ld, lg, lgx, lge;
  int pgx, pge;
  float *x = F32(0, "x", 0, &lx, NULL), *e = F32(1, "e", 0, &le, NULL);
  int32_t *src = I32(2, "src", 0, &ls, NULL), *dst = I32(3, "dst", 0, &ld, NULL);
  float *g = F32(4, "g", 0, &lg, NULL), *gx = F32(5, "gx", 1, &lgx, &pgx), *ge = F32(6, "ge", 1, &lge, &pge);
  int64_t xRows = arg_size(&C, 7, "xRows"), outRows = arg_size(&C, 8, "outRows"), cols = arg_size(&C, 9, "cols");
  CK;
  int64_t E = gine_common(&C, lx, le, src, ls, dst, ld, lg, "g", xRows, outRows, cols);
  CK;
  DIMS("xRows=%lld, cols=%lld, E=%lld", LL(xRows), LL(cols), LL(E));
  if (pgx) expect_len(&C, "gx", lgx, (u128)xRows * cols, "xRows*cols", dims, 1);
  if (pge) expect_len(&C, "ge", lge, (u128)E * cols, "E*cols", dims, 1);
  CK;
  gf_gine_message_backward(x, e, src, dst, g, gx, ge, E, cols);
  return NULL;
}

/* gatedGcnMessage / gatedGcnMessageBackward share their checks: Bx [xRows, cols], s [E, cols] (Ce or s0),
   gate [E] (optional), src < xRows, dst < min(xRows, outRows) (it indexes D x and the output). */
static int64_t gated_common(Cx *cx, size_t lB, const char *sname, size_t ls0, int pgate, size_t lgate,
                            const int32_t *src, size_t lsrc, const int32_t *dst, size_t ldst, int64_t xRows,
                            int64_t outRows, int64_t cols) {
  Cx C = *cx;
  DIMS("xRows=%lld, outRows=%lld, cols=%lld, E=%zu", LL(xRows), LL(outRows), LL(cols), lsrc);
  if (ldst != lsrc) fail(&C, "dst has %zu entries but src has %zu (one per edge) (%s)", ldst, lsrc, dims);
  expect_len(&C, "Bx", lB, (u128)xRows * cols, "xRows*cols", dims, 1);
  expect_len(&C, sname, ls0, (u128)lsrc * cols, "E*cols", dims, 1);
  expect_len(&C, "gate", lgate, (u128)lsrc, "E", dims, pgate);
  check_indices(&C, "src", src, lsrc, xRows, "xRows");
  check_indices(&C, "dst", dst, ldst, xRows < outRows ? xRows : outRows, "min(xRows, outRows)");
  cx->err = C.err;
  return (int64_t)lsrc;
}

static napi_value GatedGcnMessage(napi_env env, napi_callback_info info) {
  BEGIN("gatedGcnMessage", 16);
  size_t lD, lE, lC, lB, lgate, ls, ld, lg, ls0, lnum, ldp, lq;
  int pgate;
  float *Dx = F32(0, "Dx", 0, &lD, NULL), *Ex = F32(1, "Ex", 0, &lE, NULL), *Ce = F32(2, "Ce", 0, &lC, NULL);
  float *Bx = F32(3, "Bx", 0, &lB, NULL), *gate = F32(4, "gate", 1, &lgate, &pgate);
  int32_t *src = I32(5, "src", 0, &ls, NULL), *dst = I32(6, "dst", 0, &ld, NULL);
  float *g = F32(7, "g", 0, &lg, NULL), *s0 = F32(8, "s0", 0, &ls0, NULL), *num = F32(9, "num", 0, &lnum, NULL);
  float *dp = F32(10, "dp", 0, &ldp, NULL), *q = F32(11, "q", 0, &lq, NULL);
  int64_t xRows = arg_size(&C, 12, "xRows"), outRows = arg_size(&C, 13, "outRows"), cols = arg_size(&C, 14, "cols");
  double eps = arg_num(&C, 15, "eps");
  CK;
  int64_t E = gated_common(&C, lB, "Ce", lC, pgate, lgate, src, ls, dst, ld, xRows, outRows, cols);
  CK;
  DIMS("xRows=%lld, outRows=%lld, cols=%lld, E=%lld", LL(xRows), LL(outRows), LL(cols), LL(E));
  expect_len(&C, "Dx", lD, (u128)xRows * cols, "xRows*cols", dims, 1);
  expect_len(&C, "Ex", lE, (u128)xRows * cols, "xRows*cols", dims, 1);
  expect_len(&C, "g", lg, (u128)E * cols, "E*cols", dims, 1);
  expect_len(&C, "s0", ls0, (u128)E * cols, "E*cols", dims, 1);
  expect_len(&C, "num", lnum, (u128)outRows * cols, "outRows*cols", dims, 1);
  expect_len(&C, "dp", ldp, (u128)outRows * cols, "outRows*cols", dims, 1);
  expect_len(&C, "q", lq, (u128)outRows * cols, "outRows*cols", dims, 1);
  CK;
  gf_gated_gcn_message(Dx, Ex, Ce, Bx, gate, src, dst, g, s0, num, dp, q, E, outRows, cols, eps);
  return NULL;
}

static napi_value GatedGcnMessageBackward(napi_env env, napi_callback_info info) {
  BEGIN("gatedGcnMessageBackward", 17);
  size_t lB, lgate, ls0, lnum, ldp, ls, ld, lgq, lw, lgD, lgE, lgC, lgB, lgg;
  int pgate, pgD, pgE, pgC, pgB, pgg;
  float *Bx = F32(0, "Bx", 0, &lB, NULL), *gate = F32(1, "gate", 1, &lgate, &pgate);
  float *s0 = F32(2, "s0", 0, &ls0, NULL), *num = F32(3, "num", 0, &lnum, NULL), *dp = F32(4, "dp", 0, &ldp, NULL);
  int32_t *src = I32(5, "src", 0, &ls, NULL), *dst = I32(6, "dst", 0, &ld, NULL);
  float *gq = F32(7, "gq", 0, &lgq, NULL), *work = F32(8, "work", 0, &lw, NULL);
  float *gDx = F32(9, "gDx", 1, &lgD, &pgD), *gEx = F32(10, "gEx", 1, &lgE, &pgE), *gCe = F32(11, "gCe", 1, &lgC, &pgC);
  float *gBx = F32(12, "gBx", 1, &lgB, &pgB), *ggate = F32(13, "ggate", 1, &lgg, &pgg);
  int64_t xRows = arg_size(&C, 14, "xRows"), outRows = arg_size(&C, 15, "outRows"), cols = arg_size(&C, 16, "cols");
  CK;
  int64_t E = gated_common(&C, lB, "s0", ls0, pgate, lgate, src, ls, dst, ld, xRows, outRows, cols);
  CK;
  DIMS("xRows=%lld, outRows=%lld, cols=%lld, E=%lld", LL(xRows), LL(outRows), LL(cols), LL(E));
  expect_len(&C, "num", lnum, (u128)outRows * cols, "outRows*cols", dims, 1);
  expect_len(&C, "dp", ldp, (u128)outRows * cols, "outRows*cols", dims, 1);
  expect_len(&C, "gq", lgq, (u128)outRows * cols, "outRows*cols", dims, 1);
  expect_len(&C, "work", lw, (u128)2 * outRows * cols, "2*outRows*cols", dims, 1);
  expect_len(&C, "gDx", lgD, (u128)xRows * cols, "xRows*cols", dims, pgD);
  expect_len(&C, "gEx", lgE, (u128)xRows * cols, "xRows*cols", dims, pgE);
  expect_len(&C, "gCe", lgC, (u128)E * cols, "E*cols", dims, pgC);
  expect_len(&C, "gBx", lgB, (u128)xRows * cols, "xRows*cols", dims, pgB);
  expect_len(&C, "ggate", lgg, (u128)E, "E", dims, pgg);
  if (!C.err && pgg && !pgate) fail(&C, "ggate is given but gate is null (%s)", dims);
  CK;
  gf_gated_gcn_message_backward(Bx, gate, s0, num, dp, src, dst, gq, work, gDx, gEx, gCe, gBx, ggate, E, outRows, cols);
  return NULL;
}

/* ------------------------------------------------------------------ module */
static napi_value Init(napi_env env, napi_value exports) {
  gf_threads();  /* apply GRADFORMER_THREADS / core count now */
  napi_property_descriptor d[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}
      FN("setThreads", SetThreads), FN("getThreads", GetThreads), FN("matmul", Matmul), FN("binary", Binary),
      FN("binaryBackward", BinaryBackward), FN("unary", Unary), FN("unaryBackward", UnaryBackward),
      FN("sumAxis", SumAxis), FN("sumSquares", SumSquares), FN("softmax", Softmax),
      FN("softmaxBackward", SoftmaxBackward), FN("crossEntropy", CrossEntropy), FN("bceWithLogits", BceWithLogits),
      FN("l1", L1), FN("gatherRows", GatherRows), FN("scatterAddRows", ScatterAddRows), FN("copyCols", CopyCols),
      FN("addSliceCols", AddSliceCols), FN("segmentReduce", SegmentReduce),
      FN("segmentReduceBackward", SegmentReduceBackward), FN("batchNorm", BatchNorm),
      FN("batchNormBackward", BatchNormBackward), FN("attentionForward", AttentionForward),
      FN("attentionBackward", AttentionBackward), FN("adamStep", AdamStep), FN("sgdStep", SgdStep), FN("uniformMask", UniformMask),
      FN("decayMask", DecayMask), FN("decayMaskBackward", DecayMaskBackward),
      FN("gineMessage", GineMessage), FN("gineMessageBackward", GineMessageBackward),
      FN("gatedGcnMessage", GatedGcnMessage), FN("gatedGcnMessageBackward", GatedGcnMessageBackward),
#undef FN
  };
  if (napi_define_properties(env, exports, sizeof d / sizeof *d, d) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
