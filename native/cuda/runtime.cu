/*
 * Runtime of the CUDA library: device selection, the one stream, the caching allocator,
 * copies, errors, and the helpers (fixed-order sums, stable index sort) the kernels share.
 */
#include <cub/device/device_radix_sort.cuh>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unordered_map>
#include <vector>
#include "gfc_impl.cuh"

static char g_err[512] = "";
static int g_device = -1;
static cudaStream_t g_stream = nullptr;

int gfc_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_err, sizeof g_err, fmt, ap);
  va_end(ap);
  return code;
}

const char *gfc_last_error(void) { return g_err; }
cudaStream_t gfc_stream(void) { return g_stream; }
int gfc_ready(void) { return g_device >= 0; }

int gfc_check_launch(const char *kernel) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return 0;
  return gfc_fail(GFC_ELAUNCH, "CUDA kernel %s failed: %s", kernel, cudaGetErrorString(e));
}

static void copy_err(char *err, size_t errlen) {
  if (err && errlen > 0) {
    strncpy(err, g_err, errlen - 1);
    err[errlen - 1] = '\0';
  }
}

int gfc_init(int device, char *err, size_t errlen) {
  if (g_device >= 0) {
    if (device == g_device) return 0;
    int rc = gfc_fail(GFC_EARG, "the CUDA backend is already running on device %d and cannot switch to device %d",
                      g_device, device);
    copy_err(err, errlen);
    return rc;
  }
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  int rc = 0;
  if (e != cudaSuccess) {
    rc = gfc_fail(GFC_ENODEV,
                  "no CUDA device: cudaGetDeviceCount returned '%s' (driver 580 or newer and an NVIDIA GPU are needed)",
                  cudaGetErrorString(e));
  } else if (n == 0) {
    rc = gfc_fail(GFC_ENODEV, "no CUDA device: the driver found no NVIDIA GPU");
  } else if (device < 0 || device >= n) {
    rc = gfc_fail(GFC_ENODEV, "CUDA device %d does not exist: %d found (use 0 to %d)", device, n, n - 1);
  } else {
    cudaDeviceProp prop;
    if ((e = cudaGetDeviceProperties(&prop, device)) != cudaSuccess) {
      rc = gfc_fail(GFC_ENODEV, "CUDA device %d cannot be queried: %s", device, cudaGetErrorString(e));
    } else if (prop.major < 9) {
      rc = gfc_fail(GFC_ENODEV,
                    "CUDA device %d (%s) has compute capability %d.%d; gradformer's CUDA kernels are built for 9.0 "
                    "(Hopper) and newer",
                    device, prop.name, prop.major, prop.minor);
    } else if ((e = cudaSetDevice(device)) != cudaSuccess ||
               (e = cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking)) != cudaSuccess) {
      rc = gfc_fail(GFC_ENODEV, "CUDA device %d (%s) cannot be used: %s", device, prop.name, cudaGetErrorString(e));
    }
  }
  if (rc) {
    cudaGetLastError();  /* clear the sticky-free error so a later call starts clean */
    copy_err(err, errlen);
    return rc;
  }
  g_device = device;
  g_err[0] = '\0';
  return 0;
}

int gfc_set_tf32(int on) {
  if (on) return gfc_fail(GFC_EARG, "TF32 GEMMs are not built in this version of the CUDA kernels: GEMMs stay fp32");
  return 0;
}

/* ------------------------------------------------------------------ caching allocator */
/* Size classes: 512-byte steps up to 1 MiB, then 8 steps per power of two (<= 12.5% slack). */
static size_t size_class(size_t b) {
#ifdef GFC_EXACT_SIZES /* the emulation's AddressSanitizer runs: a block's end is the request's end */
  return b ? b : 1;
#endif
  if (b <= 512) return 512;
  if (b <= ((size_t)1 << 20)) return (b + 511) & ~(size_t)511;
  int e = 63 - __builtin_clzll((unsigned long long)b);
  size_t step = ((size_t)1 << e) / 8;
  return (b + step - 1) / step * step;
}

static std::unordered_map<size_t, std::vector<void *>> g_cache;  /* class -> free blocks */
static std::unordered_map<void *, size_t> g_live;                /* block -> class */
static size_t g_in_use = 0, g_peak = 0;

static void release_cache(void) {
  cudaStreamSynchronize(g_stream);
  for (auto &kv : g_cache)
    for (void *p : kv.second) cudaFree(p);
  g_cache.clear();
}

void *gfc_alloc(size_t bytes) {
  if (!gfc_ready()) {
    gfc_fail(GFC_ENODEV, "gfc_init has not succeeded: call it first");
    return nullptr;
  }
  size_t cls = size_class(bytes);
  void *p = nullptr;
  auto it = g_cache.find(cls);
  if (it != g_cache.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
  } else {
    if (cudaMalloc(&p, cls) != cudaSuccess) {
      cudaGetLastError();
      release_cache();  /* the cached blocks of other sizes may make room */
      if (cudaMalloc(&p, cls) != cudaSuccess) {
        cudaGetLastError();
        gfc_fail(GFC_ENOMEM, "out of GPU memory: %zu bytes requested with %zu bytes in use", bytes, g_in_use);
        return nullptr;
      }
    }
  }
  g_live[p] = cls;
  g_in_use += cls;
  if (g_in_use > g_peak) g_peak = g_in_use;
  return p;
}

void gfc_free(void *p) {
  if (!p) return;
  auto it = g_live.find(p);
  if (it == g_live.end()) return;  /* not ours: ignored rather than corrupting the cache */
  g_in_use -= it->second;
  g_cache[it->second].push_back(p);  /* reuse is ordered on the one stream: no sync needed */
  g_live.erase(it);
}

size_t gfc_bytes_in_use(void) { return g_in_use; }
size_t gfc_peak_bytes(void) { return g_peak; }
void gfc_reset_peak(void) { g_peak = g_in_use; }

void *gfc_scratch(size_t bytes, const char *what) {
  void *p = gfc_alloc(bytes);
  if (!p) gfc_fail(GFC_ENOMEM, "out of GPU memory for the scratch of %s (%zu bytes)", what, bytes);
  return p;
}

/* ------------------------------------------------------------------ copies */
static GfcTransfers g_tx = {0, 0, 0, 0, 0};
void gfc_transfers(GfcTransfers *out) { *out = g_tx; }
void gfc_reset_transfers(void) { memset(&g_tx, 0, sizeof g_tx); }

static int copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, const char *what) {
  GFC_REQUIRE_INIT();
  if (bytes == 0) return 0;
  if (kind == cudaMemcpyHostToDevice) g_tx.uploads++, g_tx.upload_bytes += bytes;
  if (kind == cudaMemcpyDeviceToHost) g_tx.reads++, g_tx.read_bytes += bytes;
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, g_stream);
  if (e == cudaSuccess && kind == cudaMemcpyDeviceToHost) e = cudaStreamSynchronize(g_stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return gfc_fail(GFC_ELAUNCH, "%s of %zu bytes failed: %s", what, bytes, cudaGetErrorString(e));
  }
  return 0;
}

int gfc_upload(void *dst, const void *src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyHostToDevice, "upload to the GPU");
}
int gfc_download(void *dst, const void *src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyDeviceToHost, "download from the GPU");
}
int gfc_copy(void *dst, const void *src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyDeviceToDevice, "GPU copy");
}

int gfc_zero(void *p, size_t bytes) {
  GFC_REQUIRE_INIT();
  if (bytes == 0) return 0;
  cudaError_t e = cudaMemsetAsync(p, 0, bytes, g_stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return gfc_fail(GFC_ELAUNCH, "zeroing %zu GPU bytes failed: %s", bytes, cudaGetErrorString(e));
  }
  return 0;
}

int gfc_sync(void) {
  GFC_REQUIRE_INIT();
  g_tx.syncs++;
  cudaError_t e = cudaStreamSynchronize(g_stream);
  if (e != cudaSuccess) return gfc_fail(GFC_ELAUNCH, "the GPU stream failed: %s", cudaGetErrorString(e));
  return 0;
}

int gfc_result(const double *dev, double *host, const char *kernel) {
  double v = 0;
  g_tx.reads++, g_tx.read_bytes += sizeof v;
  cudaError_t e = cudaMemcpyAsync(&v, dev, sizeof v, cudaMemcpyDeviceToHost, g_stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(g_stream);
  if (e != cudaSuccess) return gfc_fail(GFC_ELAUNCH, "CUDA kernel %s failed: %s", kernel, cudaGetErrorString(e));
  if (host) *host = v;
  return 0;
}

/* ------------------------------------------------------------------ shared helpers */
__global__ void gfc_sum_final(const double *part, int nparts, double *out, int accumulate) {
  __shared__ double sh[32];
  double s = 0;
  /* each thread adds a contiguous run of parts in order, then a fixed tree */
  int per = (nparts + blockDim.x - 1) / blockDim.x;
  int i0 = threadIdx.x * per, i1 = i0 + per < nparts ? i0 + per : nparts;
  for (int i = i0; i < i1; i++) s += part[i];
  s = gfc_block_sum(s, sh);
  if (threadIdx.x == 0) *out = accumulate ? *out + s : s;
}

static __global__ void iota_kernel(int32_t *v, int64_t n) {
  GFC_GRID_STRIDE(i, n) v[i] = (int32_t)i;
}

int gfc_sort_index(const int32_t *idx, int64_t n, GfcSorted *out, const char *kernel) {
  out->keys = out->perm = nullptr;
  out->mem = nullptr;
  if (n > INT32_MAX) return gfc_fail(GFC_EARG, "%s: %lld indices exceed the 2^31-1 the index sort handles", kernel,
                                     (long long)n);
  if (n == 0) return 0;
  size_t temp = 0;
  cub::DeviceRadixSort::SortPairs(nullptr, temp, (const int32_t *)nullptr, (int32_t *)nullptr,
                                  (const int32_t *)nullptr, (int32_t *)nullptr, (int)n, 0, 32, g_stream);
  size_t arr = ((size_t)n * sizeof(int32_t) + 255) & ~(size_t)255;
  char *mem = (char *)gfc_scratch(3 * arr + temp, kernel);
  if (!mem) return GFC_ENOMEM;
  int32_t *iota = (int32_t *)mem, *keys = (int32_t *)(mem + arr), *perm = (int32_t *)(mem + 2 * arr);
  iota_kernel<<<gfc_blocks(n, 256), 256, 0, g_stream>>>(iota, n);
  cudaError_t e = cub::DeviceRadixSort::SortPairs(mem + 3 * arr, temp, idx, keys, iota, perm, (int)n, 0, 32, g_stream);
  if (e != cudaSuccess) {
    gfc_free(mem);
    cudaGetLastError();
    return gfc_fail(GFC_ELAUNCH, "%s: the index sort failed: %s", kernel, cudaGetErrorString(e));
  }
  out->keys = keys;
  out->perm = perm;
  out->mem = mem;
  return gfc_check_launch(kernel);
}

void gfc_sorted_free(GfcSorted *s) {
  gfc_free(s->mem);
  s->mem = nullptr;
}
