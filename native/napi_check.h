/*
 * Argument checking helpers of the generated Node-API glue (native/gen/, written by
 * scripts/gen-glue.ts from src/tensor/kernel_table.ts). Every check throws
 * Error("<kernel>: <what> (<shapes>)") worded as src/tensor/kernel_checks.ts, before any
 * pointer is dereferenced: this is the second, independent line of defence behind the
 * TypeScript checks (test/kernels_native.test.ts calls the raw addon directly, also
 * under ASan). Static functions: each generated file includes this header once.
 */
#ifndef GF_NAPI_CHECK_H
#define GF_NAPI_CHECK_H
#include <node_api.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* Helpers a given glue file may not all use. */
#define GFX_FN static __attribute__((unused))

typedef struct {
  napi_env env;
  const char *k;     /* kernel name */
  napi_value *argv;
  int err;           /* an exception is pending */
} Cx;

GFX_FN void fail(Cx *c, const char *fmt, ...) {
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
GFX_FN const char *jsnum(double d, char *buf, size_t n) {
  if (isnan(d)) { snprintf(buf, n, "NaN"); return buf; }
  if (isinf(d)) { snprintf(buf, n, d > 0 ? "Infinity" : "-Infinity"); return buf; }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  return buf;
}
#define JS(d) jsnum((d), (char[32]){0}, 32)

static const char *TA_NAMES[] __attribute__((unused)) = {"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
                                 "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array",
                                 "BigUint64Array"};

GFX_FN const char *type_name(napi_env env, napi_value v) {
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

/* null, or (for an optional trailing argument) undefined: an absent array. */
GFX_FN int is_absent(napi_env env, napi_value v, int optional) {
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok) return 0;
  return vt == napi_null || (optional && vt == napi_undefined);
}

/* Typed array argument i of type `want`: its data and length, *present = 0 for an allowed null. */
GFX_FN void *arg_array(Cx *c, int i, const char *name, napi_typedarray_type want, int nullable, int optional,
                       size_t *len, int *present) {
  *len = 0;
  *present = 0;
  if (c->err) return NULL;
  napi_value v = c->argv[i];
  if (nullable && is_absent(c->env, v, optional)) return NULL;
  bool is = false;
  napi_typedarray_type t;
  void *data = NULL;
  if (napi_is_typedarray(c->env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(c->env, v, &t, len, &data, NULL, NULL) != napi_ok || t != want) {
    fail(c, "%s must be a %s, got %s", name, TA_NAMES[want], type_name(c->env, v));
    *len = 0;
    return NULL;
  }
  *present = 1;
  return data;
}

/* A size: a number holding a non-negative integer <= 2^53. */
GFX_FN int64_t arg_size(Cx *c, int i, const char *name) {
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

GFX_FN double arg_num(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  double d;
  if (napi_get_value_double(c->env, c->argv[i], &d) != napi_ok) {
    fail(c, "%s must be a number, got %s", name, type_name(c->env, c->argv[i]));
    return 0;
  }
  return d;
}

GFX_FN int arg_bool(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  bool b;
  if (napi_get_value_bool(c->env, c->argv[i], &b) != napi_ok) {
    fail(c, "%s must be a boolean, got %s", name, type_name(c->env, c->argv[i]));
    return 0;
  }
  return b;
}

/* An optional trailing boolean: undefined (left out) is false. */
GFX_FN int arg_bool_opt(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  napi_valuetype t;
  if (napi_typeof(c->env, c->argv[i], &t) == napi_ok && t == napi_undefined) return 0;
  return arg_bool(c, i, name);
}

/* 0 or 1 (an axis). */
GFX_FN int64_t arg_axis(Cx *c, int i, const char *name) {
  if (c->err) return 0;
  double d;
  if (napi_get_value_double(c->env, c->argv[i], &d) != napi_ok) {
    fail(c, "%s must be 0 or 1, got %s", name, type_name(c->env, c->argv[i]));
    return 0;
  }
  if (d != 0 && d != 1) { fail(c, "%s must be 0 or 1, got %s", name, JS(d)); return 0; }
  return (int64_t)d;
}

/* Index of the string argument in names[], or a thrown error. */
GFX_FN int arg_enum(Cx *c, int i, const char *what, const char *const *names, int count) {
  if (c->err) return 0;
  char buf[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(c->env, c->argv[i], buf, sizeof buf, &len) != napi_ok) {
    fail(c, "unknown %s '%s', expected one of ...", what, type_name(c->env, c->argv[i]));
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

/* `name` has len elements; expected = formula (dims). */
GFX_FN void expect_len(Cx *c, const char *name, size_t len, u128 expected, const char *formula, const char *dims) {
  if (c->err) return;
  if ((u128)len != expected) {
    unsigned long long e = expected > (u128)UINT64_MAX ? UINT64_MAX : (unsigned long long)expected;
    fail(c, "%s has %zu elements, expected %s = %llu%s%s%s", name, len, formula, e, dims[0] ? " (" : "", dims,
         dims[0] ? ")" : "");
  }
}

/* ptr [S+1]: at least one element, ptr[0] = 0, non-decreasing. */
GFX_FN void check_ptr(Cx *c, const char *name, const int32_t *ptr, size_t len) {
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

/* Every element of an int32 or uint16 index array in [0, bound). */
GFX_FN void check_indices_i32(Cx *c, const char *name, const int32_t *idx, size_t len, int64_t bound,
                              const char *boundName) {
  if (c->err) return;
  for (size_t r = 0; r < len; r++)
    if (idx[r] < 0 || (int64_t)idx[r] >= bound) {
      fail(c, "%s[%zu] = %d is out of range [0, %s) (%s=%lld, %s has %zu elements)", name, r, idx[r], boundName,
           boundName, (long long)bound, name, len);
      return;
    }
}
GFX_FN void check_indices_u16(Cx *c, const char *name, const uint16_t *idx, size_t len, int64_t bound,
                              const char *boundName) {
  if (c->err) return;
  for (size_t r = 0; r < len; r++)
    if ((int64_t)idx[r] >= bound) {
      fail(c, "%s[%zu] = %u is out of range [0, %s) (%s=%lld, %s has %zu elements)", name, r, (unsigned)idx[r],
           boundName, boundName, (long long)bound, name, len);
      return;
    }
}

/* segmentReduceBackward 'max': the winner of segment s lies in its segment (-1 only for an empty one). */
GFX_FN void check_winners(Cx *c, const char *name, const int32_t *argmax, const int32_t *ptr, size_t lptr,
                          int64_t cols, const char *dims) {
  if (c->err) return;
  for (size_t s = 0; s + 1 < lptr; s++) {
    int32_t lo = ptr[s], hi = ptr[s + 1];
    for (int64_t k = 0; k < cols; k++) {
      int32_t r = argmax[(int64_t)s * cols + k];
      int ok = lo == hi ? r == -1 : (r >= lo && r < hi);
      if (!ok) {
        fail(c, "%s[%lld] = %d is outside segment %zu rows [%d, %d) (%s)", name, (long long)((int64_t)s * cols + k), r,
             s, lo, hi, dims);
        return;
      }
    }
  }
}

/* sum over segments of (ptr[s+1] - ptr[s])^2, saturated (a length check then fails). */
GFX_FN int64_t gfx_sumsq(const int32_t *ptr, size_t len) {
  u128 s = 0;
  for (size_t b = 0; b + 1 < len; b++) { u128 n = (u128)(ptr[b + 1] - ptr[b]); s += n * n; }
  return s > (u128)INT64_MAX ? INT64_MAX : (int64_t)s;
}
GFX_FN int64_t gfx_min64(int64_t a, int64_t b) { return a < b ? a : b; }
GFX_FN int gfx_isint(double d) { return d >= -9007199254740991.0 && d <= 9007199254740991.0 && d == (double)(int64_t)d; }

GFX_FN napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

GFX_FN napi_value oom(Cx *c) {
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
#define CK \
  if (C.err) return NULL

/* native/gen/napi_kernels.c: adds every kernel of the table to `exports`. */
napi_status gf_define_kernels(napi_env env, napi_value exports);

#endif
