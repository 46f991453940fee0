/*
 * Device-buffer helpers of the CUDA addon's generated glue (native/gen/cuda_kernels.c,
 * scripts/gen-glue.ts). A device buffer is a JS object (src/tensor/kernels_cuda.ts,
 * CudaArray) that the addon tagged and wrapped around a GfcBuf: a gfc_alloc block,
 * its element type and length, and, for index data, a host mirror. The argument
 * checks read index arrays (ptr arrays, src/dst, targets, distances) through that
 * mirror, kept at upload, so checking them costs no device round trip; a buffer the
 * device wrote is downloaded once when a check needs it.
 */
#ifndef GF_CUDA_GLUE_H
#define GF_CUDA_GLUE_H
#define NAPI_VERSION 8
#include "napi_check.h"
#include "cuda/gfc.h"

typedef struct {
  void *p;         /* device memory (gfc_alloc), NULL once freed */
  size_t len;      /* elements */
  int kind;        /* napi_typedarray_type of the elements */
  void *host;      /* host mirror of the data, or NULL (not kept, or stale) */
  int view;        /* 1: p lies inside another buffer's block (a staged batch), which owns and frees it */
} GfcBuf;

/* Tag of the objects this addon wrapped (napi_type_tag_object). */
static const napi_type_tag GFC_TAG = {0x6772616466726d72ULL, 0x6366635f62756666ULL};

GFX_FN size_t kind_bytes(int kind) {
  switch (kind) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 4;
  }
}

/* The GfcBuf behind a tagged object, or NULL. */
GFX_FN GfcBuf *unwrap_dev(napi_env env, napi_value v) {
  napi_valuetype vt;
  bool tagged = false;
  void *p = NULL;
  if (napi_typeof(env, v, &vt) != napi_ok || vt != napi_object) return NULL;
  if (napi_check_object_type_tag(env, v, &GFC_TAG, &tagged) != napi_ok || !tagged) return NULL;
  if (napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return (GfcBuf *)p;
}

/* Device-buffer argument i of element type `want` (NULL with *present = 0 for an allowed null). */
GFX_FN GfcBuf *arg_dev(Cx *c, int i, const char *name, napi_typedarray_type want, int nullable, int optional,
                       size_t *len, int *present) {
  *len = 0;
  *present = 0;
  if (c->err) return NULL;
  napi_value v = c->argv[i];
  if (nullable && is_absent(c->env, v, optional)) return NULL;
  GfcBuf *b = unwrap_dev(c->env, v);
  if (b == NULL || b->kind != (int)want) {
    if (b != NULL) fail(c, "%s must be a cuda %s, got a cuda %s", name, TA_NAMES[want], TA_NAMES[b->kind]);
    else fail(c, "%s must be a cuda %s, got %s", name, TA_NAMES[want], type_name(c->env, v));
    return NULL;
  }
  if (b->p == NULL) { fail(c, "%s is a freed cuda buffer", name); return NULL; }
  *len = b->len;
  *present = 1;
  return b;
}

/* The buffer's data on the host: its mirror, else downloaded once (and kept until the device writes it). */
GFX_FN const void *dev_host(Cx *c, GfcBuf *b) {
  if (c->err || b == NULL) return NULL;
  if (b->host != NULL) return b->host;
  size_t bytes = b->len * kind_bytes(b->kind);
  void *h = malloc(bytes ? bytes : 1);
  if (h == NULL) { fail(c, "out of host memory for a %zu-byte mirror", bytes); return NULL; }
  if (gfc_download(h, b->p, bytes) != 0) {
    free(h);
    fail(c, "reading an index buffer back from the device failed: %s", gfc_last_error());
    return NULL;
  }
  b->host = h;
  return h;
}

/* The device wrote b: its mirror is stale. */
GFX_FN void dev_touch(GfcBuf *b) {
  if (b != NULL && b->host != NULL) {
    free(b->host);
    b->host = NULL;
  }
}

/* A failed gfc_ call: throw its sentence. */
GFX_FN napi_value dev_fail(Cx *c) {
  const char *e = gfc_last_error();
  fail(c, "%s", e && *e ? e : "the CUDA kernel failed (no reason given)");
  return NULL;
}

/* native/gen/cuda_kernels.c: adds every kernel of the table to `exports`. */
napi_status gfc_define_kernels(napi_env env, napi_value exports);

#endif
