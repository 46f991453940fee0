/*
 * Node-API entry of the CUDA addon (build/Release/gradformer_cuda.node, built by
 * scripts/build-cuda-addon.js when nvcc is present): the device runtime of
 * native/cuda/gfc.h (init, buffers, copies, memory figures) and every kernel of
 * src/tensor/kernel_table.ts through the generated glue (native/gen/cuda_kernels.c).
 * src/tensor/kernels_cuda.ts is its only caller. Nothing here aborts: a missing
 * GPU or driver is one sentence from init().
 */
#include "../cuda_glue.h"

/* ------------------------------------------------------------------ runtime */
/* init(device) -> null, or the sentence saying why there is no usable device. */
static napi_value Init_(napi_env env, napi_callback_info info) {
  BEGIN_OPT("init", 1, 0);
  int64_t dev = arg_size(&C, 0, "device");
  CK;
  char err[512] = "";
  if (gfc_init((int)dev, err, sizeof err) == 0) {
    napi_value nul;
    napi_get_null(env, &nul);
    return nul;
  }
  napi_value s;
  napi_create_string_utf8(env, err[0] ? err : "gfc_init failed without a reason", NAPI_AUTO_LENGTH, &s);
  return s;
}

static void finalize_buf(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  GfcBuf *b = (GfcBuf *)data;
  if (b->p != NULL && !b->view) gfc_free(b->p);
  free(b->host);
  free(b);
}

static const struct { const char *name; napi_typedarray_type t; } KINDS[] = {
    {"f32", napi_float32_array}, {"f64", napi_float64_array}, {"i32", napi_int32_array},
    {"u8", napi_uint8_array},    {"u16", napi_uint16_array},  {"u32", napi_uint32_array},
};

/* alloc(obj, kind, length): obj becomes a device buffer of `length` elements (zeroed). */
static napi_value Alloc(napi_env env, napi_callback_info info) {
  BEGIN_OPT("alloc", 3, 0);
  char kind[8] = "";
  size_t kl = 0;
  if (napi_get_value_string_utf8(env, argv[1], kind, sizeof kind, &kl) != napi_ok) {
    fail(&C, "kind must be a string (f32, f64, i32, u8, u16 or u32)");
    return NULL;
  }
  int64_t len = arg_size(&C, 2, "length");
  CK;
  int t = -1;
  for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
    if (strcmp(kind, KINDS[i].name) == 0) t = KINDS[i].t;
  if (t < 0) { fail(&C, "unknown kind '%s', expected one of f32, f64, i32, u8, u16, u32", kind); return NULL; }
  size_t bytes = (size_t)len * kind_bytes(t);
  GfcBuf *b = (GfcBuf *)calloc(1, sizeof *b);
  if (b == NULL) { fail(&C, "out of host memory"); return NULL; }
  b->p = gfc_alloc(bytes);
  if (b->p == NULL || gfc_zero(b->p, bytes) != 0) {
    if (b->p) gfc_free(b->p);
    free(b);
    fail(&C, "out of device memory allocating %zu bytes (%zu in use): %s", bytes, gfc_bytes_in_use(), gfc_last_error());
    return NULL;
  }
  b->len = (size_t)len;
  b->kind = t;
  if (napi_wrap(env, argv[0], b, finalize_buf, NULL, NULL) != napi_ok ||
      napi_type_tag_object(env, argv[0], &GFC_TAG) != napi_ok) {
    gfc_free(b->p);
    free(b);
    fail(&C, "cannot attach a device buffer to this object (already one?)");
    return NULL;
  }
  return NULL;
}

/* free(buf): hands the memory back to the caching allocator now (the object stays, unusable). */
static napi_value Free(napi_env env, napi_callback_info info) {
  BEGIN_OPT("free", 1, 0);
  GfcBuf *b = unwrap_dev(env, argv[0]);
  if (b == NULL) { fail(&C, "buf must be a cuda buffer, got %s", type_name(env, argv[0])); return NULL; }
  if (b->p != NULL && !b->view) gfc_free(b->p);
  b->p = NULL;
  dev_touch(b);
  return NULL;
}

/*
 * view(obj, parent, byteOffset, host): obj becomes a device buffer of host's kind and length
 * at byteOffset inside parent (a staged batch: many arrays uploaded in one copy), whose
 * contents are host's; index data keeps host as its mirror. The memory stays parent's: the
 * caller keeps parent alive as long as the view (kernels_cuda.ts does), and freeing the view
 * frees nothing.
 */
static napi_value View(napi_env env, napi_callback_info info) {
  BEGIN_OPT("view", 4, 0);
  GfcBuf *parent = unwrap_dev(env, argv[1]);
  if (parent == NULL || parent->p == NULL) { fail(&C, "parent must be a live cuda buffer"); return NULL; }
  int64_t off = arg_size(&C, 2, "byteOffset");
  CK;
  napi_typedarray_type t;
  size_t len = 0;
  void *data = NULL;
  bool is_ta = false;
  if (napi_is_typedarray(env, argv[3], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[3], &t, &len, &data, NULL, NULL) != napi_ok) {
    fail(&C, "host must be a typed array, got %s", type_name(env, argv[3]));
    return NULL;
  }
  size_t bytes = len * kind_bytes(t), have = parent->len * kind_bytes(parent->kind);
  if ((size_t)off % kind_bytes(t) != 0 || (size_t)off > have || bytes > have - (size_t)off) {
    fail(&C, "a view of %zu bytes at byte %lld does not fit the parent's %zu bytes", bytes, (long long)off, have);
    return NULL;
  }
  GfcBuf *b = (GfcBuf *)calloc(1, sizeof *b);
  if (b == NULL) { fail(&C, "out of host memory"); return NULL; }
  b->p = (char *)parent->p + off;
  b->len = len;
  b->kind = t;
  b->view = 1;
  if (t != napi_float32_array && t != napi_float64_array) {
    b->host = malloc(bytes ? bytes : 1);
    if (b->host && bytes) memcpy(b->host, data, bytes);
  }
  if (napi_wrap(env, argv[0], b, finalize_buf, NULL, NULL) != napi_ok ||
      napi_type_tag_object(env, argv[0], &GFC_TAG) != napi_ok) {
    free(b->host);
    free(b);
    fail(&C, "cannot attach a device buffer to this object (already one?)");
    return NULL;
  }
  return NULL;
}

/* The buffer argument 0 and the typed array argument 1 of the same type and length. */
static GfcBuf *buf_and_array(Cx *c, void **data) {
  GfcBuf *b = unwrap_dev(c->env, c->argv[0]);
  if (b == NULL || b->p == NULL) {
    fail(c, "buf must be a live cuda buffer, got %s", b ? "a freed one" : type_name(c->env, c->argv[0]));
    return NULL;
  }
  size_t len = 0;
  int present = 0;
  *data = arg_array(c, 1, "host", (napi_typedarray_type)b->kind, 0, 0, &len, &present);
  if (c->err) return NULL;
  if (len != b->len) { fail(c, "host has %zu elements, the cuda buffer %zu", len, b->len); return NULL; }
  return b;
}

/* upload(buf, typedArray): host to device; index data (every kind but f32/f64) keeps a host mirror. */
static napi_value Upload(napi_env env, napi_callback_info info) {
  BEGIN_OPT("upload", 2, 0);
  void *data = NULL;
  GfcBuf *b = buf_and_array(&C, &data);
  CK;
  size_t bytes = b->len * kind_bytes(b->kind);
  if (gfc_upload(b->p, data, bytes) != 0) return dev_fail(&C);
  dev_touch(b);
  if (b->kind != napi_float32_array && b->kind != napi_float64_array) {
    b->host = malloc(bytes ? bytes : 1);
    if (b->host) memcpy(b->host, data, bytes);
  }
  return NULL;
}

/* download(buf, typedArray): device to host (waits for the device). */
static napi_value Download(napi_env env, napi_callback_info info) {
  BEGIN_OPT("download", 2, 0);
  void *data = NULL;
  GfcBuf *b = buf_and_array(&C, &data);
  CK;
  if (gfc_download(data, b->p, b->len * kind_bytes(b->kind)) != 0) return dev_fail(&C);
  return NULL;
}

/* copy(dst, src): device to device, same type and length. */
static napi_value Copy(napi_env env, napi_callback_info info) {
  BEGIN_OPT("copy", 2, 0);
  GfcBuf *d = unwrap_dev(env, argv[0]), *s = unwrap_dev(env, argv[1]);
  if (d == NULL || s == NULL || d->p == NULL || s->p == NULL) { fail(&C, "dst and src must be live cuda buffers"); return NULL; }
  if (d->kind != s->kind || d->len != s->len) {
    fail(&C, "dst (%s, %zu) and src (%s, %zu) differ", TA_NAMES[d->kind], d->len, TA_NAMES[s->kind], s->len);
    return NULL;
  }
  if (gfc_copy(d->p, s->p, d->len * kind_bytes(d->kind)) != 0) return dev_fail(&C);
  dev_touch(d);
  if (s->host != NULL) {
    size_t bytes = d->len * kind_bytes(d->kind);
    d->host = malloc(bytes ? bytes : 1);
    if (d->host) memcpy(d->host, s->host, bytes);
  }
  return NULL;
}

/* zero(buf) */
static napi_value Zero(napi_env env, napi_callback_info info) {
  BEGIN_OPT("zero", 1, 0);
  GfcBuf *b = unwrap_dev(env, argv[0]);
  if (b == NULL || b->p == NULL) { fail(&C, "buf must be a live cuda buffer"); return NULL; }
  if (gfc_zero(b->p, b->len * kind_bytes(b->kind)) != 0) return dev_fail(&C);
  dev_touch(b);
  return NULL;
}

static napi_value Sync(napi_env env, napi_callback_info info) {
  (void)info;
  Cx C = {env, "sync", NULL, 0};
  if (gfc_sync() != 0) return dev_fail(&C);
  return NULL;
}

static napi_value BytesInUse(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, (double)gfc_bytes_in_use());
}
static napi_value PeakBytes(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, (double)gfc_peak_bytes());
}
static napi_value ResetPeak(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  gfc_reset_peak();
  return NULL;
}
/* transfers() -> {uploads, uploadBytes, reads, readBytes, syncs} since the last resetTransfers(). */
static napi_value Transfers(napi_env env, napi_callback_info info) {
  (void)info;
  GfcTransfers t;
  gfc_transfers(&t);
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "uploads", num(env, (double)t.uploads));
  napi_set_named_property(env, o, "uploadBytes", num(env, (double)t.upload_bytes));
  napi_set_named_property(env, o, "reads", num(env, (double)t.reads));
  napi_set_named_property(env, o, "readBytes", num(env, (double)t.read_bytes));
  napi_set_named_property(env, o, "syncs", num(env, (double)t.syncs));
  return o;
}
static napi_value ResetTransfers(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  gfc_reset_transfers();
  return NULL;
}
static napi_value SetTf32(napi_env env, napi_callback_info info) {
  BEGIN_OPT("setTf32", 1, 0);
  int on = arg_bool(&C, 0, "on");
  CK;
  if (gfc_set_tf32(on) != 0) return dev_fail(&C); /* e.g. no TF32 path built yet */
  return NULL;
}

/* ------------------------------------------------------------------ module */
static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}
      FN("init", Init_),        FN("alloc", Alloc),           FN("free", Free),
      FN("upload", Upload),     FN("download", Download),     FN("copy", Copy),
      FN("zero", Zero),         FN("sync", Sync),             FN("bytesInUse", BytesInUse),
      FN("peakBytes", PeakBytes), FN("resetPeak", ResetPeak), FN("setTf32", SetTf32),
      FN("view", View),         FN("transfers", Transfers), FN("resetTransfers", ResetTransfers),
#undef FN
  };
  if (napi_define_properties(env, exports, sizeof d / sizeof *d, d) != napi_ok) return NULL;
  if (gfc_define_kernels(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
