/*
 * Standalone GPU test of the CUDA kernels: every gfc_ kernel against its C twin (the C files of native/) on
 * random inputs, including empty batches, 1-node graphs, graphs of 500+ nodes and 1, 4 and 8
 * heads; every GPU call is run twice from the same inputs and must give the same bits.
 * Prints one line per case ("ok" or "FAIL") and exits 1 on any mismatch, 2 when no GPU is usable
 * (the message says why). Usage: gfc_test [--small] [--only TEXT] [device]; --small skips the cases
 * whose arrays exceed 16 MB (for the slow compute-sanitizer runs; each skipped case is named),
 * --only runs the cases whose name contains TEXT. Run by test/cuda_build.test.ts where a GPU exists, and by
 * scripts/device-check.sh under compute-sanitizer.
 *
 * Tolerances: kernels that compute in double on both sides differ by the final float rounding
 * (TOL_EXACT, relative to the array's largest magnitude); float sums of k terms carry the classic
 * gamma_k = k 2^-24 bound (TOL_SUM(k)), since the GPU may add in a different order than the CPU.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <functional>
#include <string>
#include <vector>
#include "gfc.h"
extern "C" {
#include "gf.h"
}

static const double U = 1.0 / 16777216.0;  /* float32 unit roundoff */
static const double TOL_EXACT = 4 * U;
static double TOL_SUM(double k) { return 4 * (k + 8) * U; }

static int g_fail = 0, g_cases = 0, g_skipped = 0;
static size_t g_max_bytes = 0;  /* --small: cases above this many bytes of arrays are skipped */
static const char *g_only = nullptr;  /* --only: the cases whose name contains this */
static unsigned long long g_seed = 0x9E3779B97F4A7C15ull;
static double urand() {  /* splitmix64 -> [0, 1) */
  unsigned long long z = (g_seed += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-53;
}
static std::vector<float> rnd(size_t n, double lo = -1, double hi = 1) {
  std::vector<float> v(n);
  for (auto &x : v) x = (float)(lo + (hi - lo) * urand());
  return v;
}
/* Initial contents of the outputs that kernels accumulate into (+=): small, so that the compared
   magnitudes are those of the kernels' own contributions, not of the starting values. */
static std::vector<float> acc0(size_t n) { return rnd(n, -0.01, 0.01); }
static std::vector<int32_t> rndi(size_t n, int32_t hi) {
  std::vector<int32_t> v(n);
  for (auto &x : v) x = (int32_t)(urand() * hi);
  return v;
}

/* A host array of any element type, with its device copy during a case. nullptr = absent. */
struct Arr {
  std::vector<unsigned char> h;
  char kind;  /* f float, d double, i int32, s uint16, b uint8, u uint32 */
  size_t n;
  template <class T> static Arr of(const std::vector<T> &v, char kind) {
    Arr a;
    a.kind = kind;
    a.n = v.size();
    a.h.resize(v.size() * sizeof(T));
    if (!v.empty()) memcpy(a.h.data(), v.data(), a.h.size());
    return a;
  }
};
static Arr F(const std::vector<float> &v) { return Arr::of(v, 'f'); }
static Arr Dd(const std::vector<double> &v) { return Arr::of(v, 'd'); }
static Arr I(const std::vector<int32_t> &v) { return Arr::of(v, 'i'); }
static Arr S16(const std::vector<uint16_t> &v) { return Arr::of(v, 's'); }
static Arr U8(const std::vector<uint8_t> &v) { return Arr::of(v, 'b'); }
static Arr U32(const std::vector<uint32_t> &v) { return Arr::of(v, 'u'); }

typedef std::function<int(void **, double *)> GpuFn;  /* device pointers; result (if any) */
typedef std::function<double(void **)> CpuFn;        /* host pointers; returns the result (or 0) */

static void fail_line(const std::string &name, const char *why) {
  printf("FAIL %s: %s\n", name.c_str(), why);
  g_fail++;
}

/* Compares got with ref (both kind k): max |got - ref| <= tol * max |ref| (NaN where ref is NaN). */
static bool close(const Arr &ref, const std::vector<unsigned char> &got, double tol, double *worst) {
  double maxref = 0, maxerr = 0;
  bool nanok = true;
  for (size_t i = 0; i < ref.n; i++) {
    double r, g;
    switch (ref.kind) {
      case 'f': r = ((const float *)ref.h.data())[i]; g = ((const float *)got.data())[i]; break;
      case 'd': r = ((const double *)ref.h.data())[i]; g = ((const double *)got.data())[i]; break;
      case 'i': r = ((const int32_t *)ref.h.data())[i]; g = ((const int32_t *)got.data())[i]; break;
      case 'u': r = ((const uint32_t *)ref.h.data())[i]; g = ((const uint32_t *)got.data())[i]; break;
      case 's': r = ((const uint16_t *)ref.h.data())[i]; g = ((const uint16_t *)got.data())[i]; break;
      default: r = ref.h[i]; g = got[i]; break;
    }
    if (isnan(r) || isnan(g)) {
      if (isnan(r) != isnan(g)) nanok = false;
      continue;
    }
    if (fabs(r) > maxref) maxref = fabs(r);
    if (fabs(g - r) > maxerr) maxerr = fabs(g - r);
  }
  *worst = maxref > 0 ? maxerr / maxref : maxerr;
  bool integral = ref.kind == 'i' || ref.kind == 'u' || ref.kind == 's' || ref.kind == 'b';
  return nanok && (integral ? maxerr == 0 : maxerr <= tol * (maxref > 0 ? maxref : 1e-30));
}

/*
 * One case: args are the kernel's arrays in order (inputs and outputs alike; outputs hold their
 * initial values, for the kernels that accumulate); `outs` lists the indices compared. The GPU
 * runs twice from fresh copies (bit-identical outputs required), the CPU once.
 */
static void run_case(const std::string &name, std::vector<Arr *> args, std::vector<int> outs, GpuFn gpu, CpuFn cpu,
                     double tol, bool hasResult = false, double resultTol = 1e-12) {
  if (g_only && !strstr(name.c_str(), g_only)) return;
  size_t total = 0;
  for (Arr *a : args) total += a ? a->h.size() : 0;
  if (g_max_bytes && total > g_max_bytes) {
    printf("skip %s: %.1f MB of arrays, above --small's %.0f MB\n", name.c_str(), total / 1e6, g_max_bytes / 1e6);
    g_skipped++;
    return;
  }
  g_cases++;
  std::vector<std::vector<unsigned char>> got[2];
  double res[2] = {0, 0};
  for (int rep = 0; rep < 2; rep++) {
    std::vector<void *> d(args.size(), nullptr);
    for (size_t a = 0; a < args.size(); a++) {
      if (!args[a]) continue;
      d[a] = gfc_alloc(args[a]->h.size());
      if (!d[a] || gfc_upload(d[a], args[a]->h.data(), args[a]->h.size())) {
        fail_line(name, gfc_last_error());
        return;
      }
    }
    int rc = gpu(d.data(), &res[rep]);
    if (!rc) rc = gfc_sync();
    if (rc) {
      fail_line(name, gfc_last_error());
      for (void *p : d) gfc_free(p);
      return;
    }
    for (int o : outs) {
      std::vector<unsigned char> h(args[o]->h.size());
      if (gfc_download(h.data(), d[o], h.size())) fail_line(name, gfc_last_error());
      got[rep].push_back(h);
    }
    for (void *p : d) gfc_free(p);
  }
  std::vector<void *> hp(args.size(), nullptr);
  for (size_t a = 0; a < args.size(); a++) hp[a] = args[a] ? args[a]->h.data() : nullptr;
  double cres = cpu(hp.data());
  bool ok = true;
  double worst = 0;
  for (size_t o = 0; o < outs.size(); o++) {
    if (got[0][o] != got[1][o]) {
      fail_line(name, ("not deterministic: output " + std::to_string(outs[o]) + " differs between two runs").c_str());
      return;
    }
    double w;
    if (!close(*args[outs[o]], got[0][o], tol, &w)) {
      char msg[160];
      snprintf(msg, sizeof msg, "output %d differs from the C kernel: max error %.3g of the largest magnitude (tol %.3g)",
               outs[o], w, tol);
      fail_line(name, msg);
      ok = false;
    }
    if (w > worst) worst = w;
  }
  if (hasResult) {
    if (memcmp(&res[0], &res[1], sizeof(double)) != 0) {
      fail_line(name, "result not deterministic");
      return;
    }
    bool bothNan = isnan(res[0]) && isnan(cres);
    double err = fabs(res[0] - cres) / (fabs(cres) > 0 ? fabs(cres) : 1);
    if (!bothNan && !(err <= resultTol)) {
      char msg[160];
      snprintf(msg, sizeof msg, "result %.17g, C kernel %.17g", res[0], cres);
      fail_line(name, msg);
      ok = false;
    }
  }
  if (ok) printf("ok   %-58s max rel err %.2e\n", name.c_str(), worst);
}

#define P(i) ((float *)p[i])
#define PI(i) ((int32_t *)p[i])

/* ------------------------------------------------------------------ matmul */
static void t_matmul() {
  int shapes[][3] = {{0, 5, 3}, {7, 0, 5}, {1, 1, 1}, {37, 13, 70}, {3000, 64, 64}, {64, 5000, 48}, {100, 300, 1},
                     {130, 17, 200}};
  for (auto &s : shapes)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int acc = 0; acc < 2; acc++)
          for (int bias = 0; bias < 2; bias++)
            for (int relu = 0; relu < 2; relu++)
              for (int res = 0; res < 2; res++) {
                int64_t m = s[0], k = s[1], n = s[2];
                if ((m > 1000 || k > 1000) && (bias != acc || relu != bias || res != bias)) continue;  /* big: two variants */
                Arr A = F(rnd(m * k)), B = F(rnd(k * n)), C = F(rnd(m * n)), Bi = F(rnd(n)), Rs = F(rnd(m * n));
                char name[112];
                snprintf(name, sizeof name, "matmul m%lld k%lld n%lld tA%d tB%d acc%d bias%d relu%d res%d", (long long)m,
                         (long long)k, (long long)n, ta, tb, acc, bias, relu, res);
                run_case(name, {&A, &B, &C, bias ? &Bi : nullptr, res ? &Rs : nullptr}, {2},
                         [=](void **p, double *) { return gfc_matmul(P(0), P(1), P(2), m, k, n, ta, tb, acc, P(3), relu, P(4)); },
                         [=](void **p) { gf_matmul(P(0), P(1), P(2), m, k, n, ta, tb, acc, P(3), relu, P(4)); return 0.0; },
                         TOL_SUM((double)k));
              }
}

/* ------------------------------------------------------------------ element-wise */
static void t_elementwise() {
  int64_t shapes[][2] = {{37, 70}, {0, 5}, {1, 1}, {1000, 3}};
  for (auto &s : shapes)
    for (int op = 0; op < 4; op++)
      for (int bc = 0; bc < 4; bc++) {
        int64_t rows = s[0], cols = s[1];
        int64_t nb = bc == 0 ? rows * cols : bc == 1 ? cols : bc == 2 ? rows : 1;
        Arr A = F(rnd(rows * cols)), B = F(rnd(nb, 0.5, 2)), O = F(rnd(rows * cols)), G = F(rnd(rows * cols));
        Arr GA = F(acc0(rows * cols)), GB = F(acc0(nb));
        char name[96];
        snprintf(name, sizeof name, "binary op%d bc%d %lldx%lld", op, bc, (long long)rows, (long long)cols);
        run_case(name, {&A, &B, &O}, {2},
                 [=](void **p, double *) { return gfc_binary(op, P(0), P(1), P(2), rows, cols, bc); },
                 [=](void **p) { gf_binary(op, P(0), P(1), P(2), rows, cols, bc); return 0.0; }, TOL_EXACT);
        snprintf(name, sizeof name, "binaryBackward op%d bc%d %lldx%lld", op, bc, (long long)rows, (long long)cols);
        /* gb sums over up to `cols` or `rows` terms in double: still one rounding */
        run_case(name, {&A, &B, &G, &GA, &GB}, {3, 4},
                 [=](void **p, double *) { return gfc_binary_backward(op, P(0), P(1), P(2), P(3), P(4), rows, cols, bc); },
                 [=](void **p) { gf_binary_backward(op, P(0), P(1), P(2), P(3), P(4), rows, cols, bc); return 0.0; },
                 TOL_EXACT);
        snprintf(name, sizeof name, "binaryBackward op%d bc%d %lldx%lld (gb only)", op, bc, (long long)rows,
                 (long long)cols);
        run_case(name, {&A, &B, &G, nullptr, &GB}, {4},
                 [=](void **p, double *) { return gfc_binary_backward(op, P(0), P(1), P(2), nullptr, P(4), rows, cols, bc); },
                 [=](void **p) { gf_binary_backward(op, P(0), P(1), P(2), nullptr, P(4), rows, cols, bc); return 0.0; },
                 TOL_EXACT);
      }
  for (int64_t n : {0, 1, 1000, 70001})
    for (int op = 0; op < 8; op++) {
      double pr = op == 1 ? 0.01 : op == 5 ? 0.5 : op == 6 ? -1.5 : 0.25;
      Arr X = F(op == 4 ? rnd(n, 0.1, 3) : rnd(n, -3, 3)), O = F(rnd(n));
      char name[96];
      snprintf(name, sizeof name, "unary op%d n%lld", op, (long long)n);
      run_case(name, {&X, &O}, {1}, [=](void **p, double *) { return gfc_unary(op, P(0), P(1), n, pr); },
               [=](void **p) { gf_unary(op, P(0), P(1), n, pr); return 0.0; }, TOL_EXACT);
      std::vector<float> y(n);
      gf_unary(op, (const float *)X.h.data(), y.data(), n, pr);
      Arr Y = F(y), G = F(rnd(n)), GX = F(acc0(n));
      snprintf(name, sizeof name, "unaryBackward op%d n%lld", op, (long long)n);
      run_case(name, {&X, &Y, &G, &GX}, {3},
               [=](void **p, double *r) { return gfc_unary_backward(op, P(0), P(1), P(2), P(3), n, pr, r); },
               [=](void **p) { return gf_unary_backward(op, P(0), P(1), P(2), P(3), n, pr); }, TOL_EXACT, true, 1e-9);
    }
}

/* ------------------------------------------------------------------ reductions, softmax, losses */
static void t_reduce_softmax_losses() {
  int64_t shapes[][2] = {{1000, 37}, {0, 5}, {5, 0}, {3, 3000}, {20000, 2}};
  for (auto &s : shapes)
    for (int axis = 0; axis < 2; axis++) {
      int64_t rows = s[0], cols = s[1];
      Arr X = F(rnd(rows * cols)), O = F(rnd(axis ? rows : cols));
      char name[96];
      snprintf(name, sizeof name, "sumAxis axis%d %lldx%lld", axis, (long long)rows, (long long)cols);
      run_case(name, {&X, &O}, {1}, [=](void **p, double *) { return gfc_sum_axis(P(0), P(1), rows, cols, axis); },
               [=](void **p) { gf_sum_axis(P(0), P(1), rows, cols, axis); return 0.0; }, TOL_EXACT);
    }
  for (int64_t n : {0, 5, 200000}) {
    Arr X = F(rnd(n));
    run_case("sumSquares n" + std::to_string(n), {&X}, {},
             [=](void **p, double *r) { return gfc_sum_squares(P(0), n, r); },
             [=](void **p) { return gf_sum_squares(P(0), n); }, 0, true, 1e-12);
  }
  /* clip-grad-norm on the device: squares added into a double, then the scale (and the norm) from it */
  for (int64_t n : {0, 5, 200000})
    for (double maxNorm : {1e9, 3.0}) {
      Arr X = F(rnd(n)), Acc = Dd(std::vector<double>{0.25}), Nrm = F(rnd(1));
      char name[96];
      snprintf(name, sizeof name, "sumSquaresAdd n%lld", (long long)n);
      if (maxNorm > 1e8)
        run_case(name, {&X, &Acc}, {1}, [=](void **p, double *) { return gfc_sum_squares_add(P(0), n, (double *)p[1]); },
                 [=](void **p) { gf_sum_squares_add(P(0), n, (double *)p[1]); return 0.0; }, 1e-12);
      snprintf(name, sizeof name, "clipScale n%lld maxNorm %g", (long long)n, maxNorm);
      Arr Acc2 = Dd(std::vector<double>{(double)n / 3 + 1});
      run_case(name, {&Acc2, &X, &Nrm}, {1, 2},
               [=](void **p, double *) { return gfc_clip_scale((double *)p[0], maxNorm, P(1), n, P(2)); },
               [=](void **p) { gf_clip_scale((double *)p[0], maxNorm, P(1), n, P(2)); return 0.0; }, TOL_EXACT);
    }
  int64_t sm[][2] = {{50, 10}, {3, 300}, {0, 4}, {1, 1}};
  for (auto &s : sm)
    for (int lg = 0; lg < 2; lg++) {
      int64_t rows = s[0], cols = s[1];
      Arr X = F(rnd(rows * cols, -5, 5)), O = F(rnd(rows * cols)), G = F(rnd(rows * cols)), GX = F(acc0(rows * cols));
      std::vector<float> y(rows * cols);
      gf_softmax((const float *)X.h.data(), y.data(), rows, cols, lg);
      Arr Y = F(y);
      char name[96];
      snprintf(name, sizeof name, "softmax log%d %lldx%lld", lg, (long long)rows, (long long)cols);
      run_case(name, {&X, &O}, {1}, [=](void **p, double *) { return gfc_softmax(P(0), P(1), rows, cols, lg); },
               [=](void **p) { gf_softmax(P(0), P(1), rows, cols, lg); return 0.0; }, TOL_EXACT);
      snprintf(name, sizeof name, "softmaxBackward log%d %lldx%lld", lg, (long long)rows, (long long)cols);
      run_case(name, {&Y, &G, &GX}, {2},
               [=](void **p, double *) { return gfc_softmax_backward(P(0), P(1), P(2), rows, cols, lg); },
               [=](void **p) { gf_softmax_backward(P(0), P(1), P(2), rows, cols, lg); return 0.0; }, TOL_EXACT);
    }
  for (int64_t rows : {0, 1, 64, 5000})
    for (int w = 0; w < 2; w++) {
      int64_t cols = 5;
      Arr L = F(rnd(rows * cols, -4, 4)), T = I(rndi(rows, (int32_t)cols)), W = F(rnd(cols, 0.2, 2)),
          G = F(rnd(rows * cols));
      char name[96];
      snprintf(name, sizeof name, "crossEntropy rows%lld weight%d", (long long)rows, w);
      run_case(name, {&L, &T, w ? &W : nullptr, &G}, {3},
               [=](void **p, double *r) { return gfc_cross_entropy(P(0), PI(1), P(2), P(3), rows, cols, r); },
               [=](void **p) { return gf_cross_entropy(P(0), PI(1), P(2), P(3), rows, cols); }, TOL_EXACT, true, 1e-12);
    }
  for (int64_t n : {0, 7, 10000})
    for (int m = 0; m < 3; m++) {  /* no mask, random mask, all-zero mask */
      std::vector<uint8_t> mask(n);
      for (auto &x : mask) x = m == 1 ? urand() < 0.7 : 0;
      Arr L = F(rnd(n, -6, 6)), T = F(rnd(n, 0, 1)), M = U8(mask), G = F(rnd(n));
      for (size_t i = 0; i < (size_t)n; i++) ((float *)T.h.data())[i] = urand() < 0.5 ? 0.0f : 1.0f;
      char name[96];
      snprintf(name, sizeof name, "bceWithLogits n%lld mask%d", (long long)n, m);
      run_case(name, {&L, &T, m ? &M : nullptr, &G}, {3},
               [=](void **p, double *r) { return gfc_bce_with_logits(P(0), P(1), (uint8_t *)p[2], P(3), n, r); },
               [=](void **p) { return gf_bce_with_logits(P(0), P(1), (uint8_t *)p[2], P(3), n); }, TOL_EXACT, true,
               1e-12);
    }
  for (int64_t n : {0, 1, 10000}) {
    Arr X = F(rnd(n)), Y = F(rnd(n)), G = F(rnd(n));
    if (n > 1) ((float *)Y.h.data())[0] = ((float *)X.h.data())[0];  /* sign(0) = 0 */
    run_case("l1 n" + std::to_string(n), {&X, &Y, &G}, {2},
             [=](void **p, double *r) { return gfc_l1(P(0), P(1), P(2), n, r); },
             [=](void **p) { return gf_l1(P(0), P(1), P(2), n); }, TOL_EXACT, true, 1e-12);
  }
}

/* ------------------------------------------------------------------ gathers, scatters, messages */
static void t_gather_messages() {
  for (int64_t cols : {1, 64, 100}) {
    int64_t rows = 300, nidx = 5000;
    Arr X = F(rnd(rows * cols)), Ix = I(rndi(nidx, (int32_t)rows)), O = F(rnd(nidx * cols)), Out = F(acc0(rows * cols));
    Arr Src = F(rnd(nidx * cols));
    std::string c = " cols" + std::to_string(cols);
    run_case("gatherRows" + c, {&X, &Ix, &O}, {2},
             [=](void **p, double *) { return gfc_gather_rows(P(0), PI(1), P(2), nidx, cols); },
             [=](void **p) { gf_gather_rows(P(0), PI(1), P(2), nidx, cols); return 0.0; }, 0);
    run_case("scatterAddRows" + c, {&Src, &Ix, &Out}, {2},
             [=](void **p, double *) { return gfc_scatter_add_rows(P(0), PI(1), P(2), nidx, cols); },
             [=](void **p) { gf_scatter_add_rows(P(0), PI(1), P(2), nidx, cols); return 0.0; }, TOL_EXACT);
    Arr Wide = F(rnd(rows * (cols + 7))), Narrow = F(acc0(rows * cols));
    run_case("copyCols" + c, {&Narrow, &Wide}, {1},
             [=](void **p, double *) { return gfc_copy_cols(P(0), P(1), rows, cols, cols + 7, 3); },
             [=](void **p) { gf_copy_cols(P(0), P(1), rows, cols, cols + 7, 3); return 0.0; }, 0);
    run_case("addSliceCols" + c, {&Wide, &Narrow}, {1},
             [=](void **p, double *) { return gfc_add_slice_cols(P(0), P(1), rows, cols + 7, cols, 5); },
             [=](void **p) { gf_add_slice_cols(P(0), P(1), rows, cols + 7, cols, 5); return 0.0; }, TOL_EXACT);
  }
  {
    Arr X = F(rnd(4)), Ix = I({}), O = F({});
    run_case("scatterAddRows empty", {&X, &Ix, &O}, {2},
             [=](void **p, double *) { return gfc_scatter_add_rows(P(0), PI(1), P(2), 0, 4); },
             [=](void **p) { gf_scatter_add_rows(P(0), PI(1), P(2), 0, 4); return 0.0; }, 0);
  }
  for (int64_t E : {0, 1, 3000})
    for (int64_t cols : {16, 64}) {
      int64_t nodes = 500;
      Arr X = F(rnd(nodes * cols)), Ee = F(rnd(E * cols)), Sr = I(rndi(E, (int32_t)nodes)),
          Ds = I(rndi(E, (int32_t)nodes)), O = F(acc0(nodes * cols)), G = F(rnd(nodes * cols)),
          GX = F(acc0(nodes * cols)), GE = F(acc0(E * cols));
      std::string c = " E" + std::to_string(E) + " cols" + std::to_string(cols);
      run_case("gineMessage" + c, {&X, &Ee, &Sr, &Ds, &O}, {4},
               [=](void **p, double *) { return gfc_gine_message(P(0), P(1), PI(2), PI(3), P(4), E, cols); },
               [=](void **p) { gf_gine_message(P(0), P(1), PI(2), PI(3), P(4), E, cols); return 0.0; }, TOL_EXACT);
      for (int which = 0; which < 3; which++) {  /* both, gx only, ge only */
        run_case("gineMessageBackward" + c + (which == 0 ? "" : which == 1 ? " gx" : " ge"),
                 {&X, &Ee, &Sr, &Ds, &G, which != 2 ? &GX : nullptr, which != 1 ? &GE : nullptr},
                 which == 0 ? std::vector<int>{5, 6} : which == 1 ? std::vector<int>{5} : std::vector<int>{6},
                 [=](void **p, double *) {
                   return gfc_gine_message_backward(P(0), P(1), PI(2), PI(3), P(4), P(5), P(6), E, cols);
                 },
                 [=](void **p) { gf_gine_message_backward(P(0), P(1), PI(2), PI(3), P(4), P(5), P(6), E, cols); return 0.0; },
                 TOL_EXACT);
      }
      for (int gate = 0; gate < 2; gate++) {
        int64_t outRows = nodes;
        Arr Dx = F(rnd(nodes * cols)), Ex = F(rnd(nodes * cols)), Ce = F(rnd(E * cols)), Bx = F(rnd(nodes * cols)),
            Gt = F(rnd(E, 0, 1)), Gg = F(rnd(E * cols)), S0 = F(rnd(E * cols)), Num = F(rnd(outRows * cols)),
            Dp = F(rnd(outRows * cols)), Q = F(rnd(outRows * cols));
        std::string gname = c + " gate" + std::to_string(gate);
        double eps = 1e-5;
        run_case("gatedGcnMessage" + gname, {&Dx, &Ex, &Ce, &Bx, gate ? &Gt : nullptr, &Sr, &Ds, &Gg, &S0, &Num, &Dp, &Q},
                 {7, 8, 9, 10, 11},
                 [=](void **p, double *) {
                   return gfc_gated_gcn_message(P(0), P(1), P(2), P(3), P(4), PI(5), PI(6), P(7), P(8), P(9), P(10),
                                                P(11), E, outRows, cols, eps);
                 },
                 [=](void **p) {
                   gf_gated_gcn_message(P(0), P(1), P(2), P(3), P(4), PI(5), PI(6), P(7), P(8), P(9), P(10), P(11), E,
                                        outRows, cols, eps);
                   return 0.0;
                 },
                 TOL_EXACT);
        /* the backward from a consistent forward state */
        std::vector<float> g(E * cols), s0(E * cols), num(outRows * cols), dp(outRows * cols), q(outRows * cols);
        gf_gated_gcn_message((float *)Dx.h.data(), (float *)Ex.h.data(), (float *)Ce.h.data(), (float *)Bx.h.data(),
                             gate ? (float *)Gt.h.data() : nullptr, (int32_t *)Sr.h.data(), (int32_t *)Ds.h.data(),
                             g.data(), s0.data(), num.data(), dp.data(), q.data(), E, outRows, cols, eps);
        Arr S0v = F(s0), Numv = F(num), Dpv = F(dp), GQ = F(rnd(outRows * cols)), Work = F(rnd(2 * outRows * cols)),
            GDx = F(acc0(nodes * cols)), GEx = F(acc0(nodes * cols)), GCe = F(acc0(E * cols)),
            GBx = F(acc0(nodes * cols)), GGate = F(acc0(E));
        for (int which = 0; which < 2; which++)  /* every gradient; then only gBx and gDx */
          run_case("gatedGcnMessageBackward" + gname + (which ? " gBx,gDx" : ""),
                   {&Bx, gate ? &Gt : nullptr, &S0v, &Numv, &Dpv, &Sr, &Ds, &GQ, &Work, &GDx, which ? nullptr : &GEx,
                    which ? nullptr : &GCe, &GBx, gate && !which ? &GGate : nullptr},
                   which ? std::vector<int>{8, 9, 12}
                         : gate ? std::vector<int>{8, 9, 10, 11, 12, 13} : std::vector<int>{8, 9, 10, 11, 12},
                   [=](void **p, double *) {
                     return gfc_gated_gcn_message_backward(P(0), P(1), P(2), P(3), P(4), PI(5), PI(6), P(7), P(8), P(9),
                                                           P(10), P(11), P(12), P(13), E, outRows, cols);
                   },
                   [=](void **p) {
                     gf_gated_gcn_message_backward(P(0), P(1), P(2), P(3), P(4), PI(5), PI(6), P(7), P(8), P(9), P(10),
                                                   P(11), P(12), P(13), E, outRows, cols);
                     return 0.0;
                   },
                   TOL_SUM((double)cols));
      }
    }
}

/* Graph sizes: empty batch, 1-node graphs, mixed (with an empty graph), one of 520 nodes among small ones. */
static std::vector<std::vector<int32_t>> graph_sets() {
  std::vector<std::vector<int32_t>> sets = {{}, {1, 1, 1, 1, 1}, {30, 7, 0, 111, 23, 1, 64}, {520, 12, 3}};
  std::vector<std::vector<int32_t>> ptrs;
  for (auto &s : sets) {
    std::vector<int32_t> p(1, 0);
    for (int32_t n : s) p.push_back(p.back() + n);
    ptrs.push_back(p);
  }
  return ptrs;
}

static void t_segment_bn() {
  for (auto &ptr : graph_sets())
    for (int64_t cols : {1, 64})
      for (int op = 0; op < 3; op++) {
        int64_t S = (int64_t)ptr.size() - 1, N = ptr.back();
        Arr X = F(rnd(N * cols)), Pt = I(ptr), O = F(rnd(S * cols)), AM = I(rndi(S * cols, 1)), G = F(rnd(S * cols)),
            GX = F(acc0(N * cols));
        char name[96];
        snprintf(name, sizeof name, "segmentReduce op%d S%lld cols%lld", op, (long long)S, (long long)cols);
        run_case(name, {&X, &Pt, &O, op == 2 ? &AM : nullptr}, op == 2 ? std::vector<int>{2, 3} : std::vector<int>{2},
                 [=](void **p, double *) { return gfc_segment_reduce(op, P(0), PI(1), S, P(2), cols, PI(3)); },
                 [=](void **p) { gf_segment_reduce(op, P(0), PI(1), S, P(2), cols, PI(3)); return 0.0; }, TOL_EXACT);
        std::vector<int32_t> am(S * cols);
        std::vector<float> tmp(S * cols);
        gf_segment_reduce(op, (float *)X.h.data(), ptr.data(), S, tmp.data(), cols, am.data());
        Arr AMv = I(am);
        snprintf(name, sizeof name, "segmentReduceBackward op%d S%lld cols%lld", op, (long long)S, (long long)cols);
        run_case(name, {&G, &Pt, &GX, &AMv}, {2},
                 [=](void **p, double *) { return gfc_segment_reduce_backward(op, P(0), PI(1), S, P(2), cols, PI(3)); },
                 [=](void **p) { gf_segment_reduce_backward(op, P(0), PI(1), S, P(2), cols, PI(3)); return 0.0; },
                 TOL_EXACT);
      }
  int64_t shapes[][2] = {{1, 8}, {300, 64}, {20000, 16}, {0, 3}};
  for (auto &s : shapes)
    for (int training = 0; training < 2; training++)
      for (int affine = 0; affine < 2; affine++) {
        int64_t rows = s[0], cols = s[1];
        Arr X = F(rnd(rows * cols, -2, 3)), O = F(rnd(rows * cols)), W = F(rnd(cols, 0.5, 1.5)), B = F(rnd(cols)),
            RM = F(rnd(cols)), RV = F(rnd(cols, 0.5, 2)), SM = F(rnd(cols)), SI = F(rnd(cols));
        char name[96];
        snprintf(name, sizeof name, "batchNorm %lldx%lld training%d affine%d", (long long)rows, (long long)cols,
                 training, affine);
        run_case(name, {&X, &O, affine ? &W : nullptr, affine ? &B : nullptr, &RM, &RV, &SM, &SI}, {1, 4, 5, 6, 7},
                 [=](void **p, double *) {
                   return gfc_batch_norm(P(0), P(1), rows, cols, P(2), P(3), P(4), P(5), training, 0.1, 1e-5, P(6), P(7));
                 },
                 [=](void **p) {
                   gf_batch_norm(P(0), P(1), rows, cols, P(2), P(3), P(4), P(5), training, 0.1, 1e-5, P(6), P(7));
                   return 0.0;
                 },
                 TOL_SUM(8));
        std::vector<float> out(rows * cols), sm(cols), si(cols), rm(cols), rv(cols, 1.0f);
        gf_batch_norm((float *)X.h.data(), out.data(), rows, cols, nullptr, nullptr, rm.data(), rv.data(), training,
                      0.1, 1e-5, sm.data(), si.data());
        Arr SMv = F(sm), SIv = F(si), G = F(rnd(rows * cols)), GX = F(acc0(rows * cols)), GW = F(acc0(cols)),
            GB = F(acc0(cols));
        snprintf(name, sizeof name, "batchNormBackward %lldx%lld training%d affine%d", (long long)rows,
                 (long long)cols, training, affine);
        /* gx subtracts the column means of g and g*xhat: cancellation, so a summation-order bound */
        run_case(name, {&X, &G, affine ? &W : nullptr, &SMv, &SIv, &GX, affine ? &GW : nullptr, affine ? &GB : nullptr},
                 affine ? std::vector<int>{5, 6, 7} : std::vector<int>{5},
                 [=](void **p, double *) {
                   return gfc_batch_norm_backward(P(0), P(1), rows, cols, P(2), P(3), P(4), training, P(5), P(6), P(7));
                 },
                 [=](void **p) {
                   gf_batch_norm_backward(P(0), P(1), rows, cols, P(2), P(3), P(4), training, P(5), P(6), P(7));
                   return 0.0;
                 },
                 TOL_SUM(8));
      }
}

/* ------------------------------------------------------------------ decay table (fixed / learnable gamma) */
/* pow/exp of the GPU's libm against the C library's: within the final float rounding (TOL_EXACT); the
   gradients add D double terms in the same order on both sides. */
static void t_decay_table() {
  for (int64_t H : {1, 4, 8})
    for (int64_t D : {1, 12, 511})
      for (int learn = 0; learn < 2; learn++) {
        Arr Hop = F(rnd(H, -1, 3)), Lg = F(rnd(H, -2, -0.05)), T = F(rnd(H * D)), GH = F(acc0(H)), GL = F(acc0(H));
        std::vector<double> sums(H * D);
        for (auto &x : sums) x = urand() < 0.3 ? 0 : urand() - 0.5;
        Arr Sums = Dd(sums);
        Arr *lg = learn ? &Lg : nullptr, *gl = learn ? &GL : nullptr;
        char name[96];
        snprintf(name, sizeof name, "decayTable H%lld D%lld%s", (long long)H, (long long)D, learn ? " learnable" : "");
        run_case(name, {&Hop, lg, &T}, {2},
                 [=](void **p, double *) { return gfc_decay_table(P(0), P(1), H, D, 0.6, 0.01, P(2)); },
                 [=](void **p) { gf_decay_table(P(0), P(1), H, D, 0.6, 0.01, P(2)); return 0.0; }, TOL_EXACT);
        snprintf(name, sizeof name, "decayTableBackward H%lld D%lld%s", (long long)H, (long long)D,
                 learn ? " learnable" : "");
        std::vector<int> outs = learn ? std::vector<int>{3, 4} : std::vector<int>{3};
        run_case(name, {&Sums, &Hop, lg, &GH, gl}, outs,
                 [=](void **p, double *) {
                   return gfc_decay_table_backward((double *)p[0], P(1), P(2), H, D, 0.6, 0.01, P(3), P(4));
                 },
                 [=](void **p) { gf_decay_table_backward((double *)p[0], P(1), P(2), H, D, 0.6, 0.01, P(3), P(4)); return 0.0; },
                 TOL_EXACT);
      }
}

/* ------------------------------------------------------------------ decay mask and attention */
static void t_decay_attention() {
  for (auto &ptr : graph_sets())
    for (int64_t H : {1, 4, 8}) {
      int64_t B = (int64_t)ptr.size() - 1, N = ptr.back();
      std::vector<int32_t> spdPtr(1, 0);
      int64_t msz = 0;
      for (int64_t b = 0; b < B; b++) {
        int64_t n = ptr[b + 1] - ptr[b];
        spdPtr.push_back((int32_t)(spdPtr.back() + n * n));
        msz += H * n * n;
      }
      for (int64_t D : {8, 511}) {
        std::vector<uint16_t> spd(spdPtr.back());
        for (auto &d : spd) d = (uint16_t)(urand() < 0.1 ? D - 1 : urand() * (D < 20 ? D : 20));
        Arr Sp = S16(spd), SP = I(spdPtr), T = F(rnd(H * D, 0, 1)), O = F(rnd(msz)), G = F(rnd(msz));
        std::vector<double> sums(H * D);
        for (auto &x : sums) x = 0.01 * urand();
        Arr Sums = Dd(sums);
        char name[96];
        snprintf(name, sizeof name, "decayMask B%lld H%lld D%lld", (long long)B, (long long)H, (long long)D);
        run_case(name, {&Sp, &SP, &T, &O}, {3},
                 [=](void **p, double *) { return gfc_decay_mask((uint16_t *)p[0], PI(1), B, H, P(2), D, P(3)); },
                 [=](void **p) { gf_decay_mask((uint16_t *)p[0], PI(1), B, H, P(2), D, P(3)); return 0.0; }, 0);
        snprintf(name, sizeof name, "decayMaskBackward B%lld H%lld D%lld", (long long)B, (long long)H, (long long)D);
        run_case(name, {&Sp, &SP, &G, &Sums}, {3},
                 [=](void **p, double *) {
                   return gfc_decay_mask_backward((uint16_t *)p[0], PI(1), B, H, P(2), D, (double *)p[3]);
                 },
                 [=](void **p) { gf_decay_mask_backward((uint16_t *)p[0], PI(1), B, H, P(2), D, (double *)p[3]); return 0.0; },
                 1e-12);
      }
      for (int64_t dk : {8, 16, 32, 64})
        for (int drop = 0; drop < 2; drop++) {
          if (H * dk > 256 || (dk == 64 && drop)) continue;
          int64_t HD = H * dk, maxn = 0;
          for (int64_t b = 0; b < B; b++) maxn = ptr[b + 1] - ptr[b] > maxn ? ptr[b + 1] - ptr[b] : maxn;
          double scale = 1.0 / sqrt((double)dk);
          std::vector<float> dr(msz);
          for (auto &x : dr) x = urand() < 0.2 ? 0.0f : 1.25f;
          Arr Q = F(rnd(N * HD)), K = F(rnd(N * HD)), V = F(rnd(N * HD)), M = F(rnd(msz, 0.05, 1)), Pt = I(ptr),
              Dr = F(dr), Out = F(rnd(N * HD)), Pr = F(rnd(msz));
          /* sums over up to maxn keys and dk columns, in float on both sides */
          double tol = TOL_SUM((double)(maxn + dk));
          char name[120];
          snprintf(name, sizeof name, "attentionForward B%lld maxn%lld H%lld dk%lld drop%d", (long long)B,
                   (long long)maxn, (long long)H, (long long)dk, drop);
          run_case(name, {&Q, &K, &V, &M, &Pt, drop ? &Dr : nullptr, &Out, &Pr}, {6, 7},
                   [=](void **p, double *) {
                     return gfc_attention_forward(P(0), P(1), P(2), P(3), PI(4), B, H, dk, scale, P(5), P(6), P(7));
                   },
                   [=](void **p) {
                     gf_attention_forward(P(0), P(1), P(2), P(3), PI(4), B, H, dk, scale, P(5), P(6), P(7));
                     return 0.0;
                   },
                   tol);
          std::vector<float> out(N * HD), probs(msz);
          gf_attention_forward((float *)Q.h.data(), (float *)K.h.data(), (float *)V.h.data(), (float *)M.h.data(),
                               ptr.data(), B, H, dk, scale, drop ? dr.data() : nullptr, out.data(), probs.data());
          Arr Pv = F(probs), GO = F(rnd(N * HD)), GQ = F(acc0(N * HD)), GK = F(acc0(N * HD)), GV = F(acc0(N * HD)),
              GM = F(acc0(msz));
          for (int which = 0; which < 3; which++) {  /* all four gradients; gv only; gq and gMask */
            snprintf(name, sizeof name, "attentionBackward B%lld maxn%lld H%lld dk%lld drop%d %s", (long long)B,
                     (long long)maxn, (long long)H, (long long)dk, drop, which == 0 ? "all" : which == 1 ? "gv" : "gq,gM");
            run_case(name,
                     {&Q, &K, &V, &M, &Pt, drop ? &Dr : nullptr, &Pv, &GO, which != 1 ? &GQ : nullptr,
                      which == 0 ? &GK : nullptr, which != 2 ? &GV : nullptr, which != 1 ? &GM : nullptr},
                     which == 0 ? std::vector<int>{8, 9, 10, 11} : which == 1 ? std::vector<int>{10} : std::vector<int>{8, 11},
                     [=](void **p, double *) {
                       return gfc_attention_backward(P(0), P(1), P(2), P(3), PI(4), B, H, dk, scale, P(5), P(6), P(7),
                                                     P(8), P(9), P(10), P(11));
                     },
                     [=](void **p) {
                       gf_attention_backward(P(0), P(1), P(2), P(3), PI(4), B, H, dk, scale, P(5), P(6), P(7), P(8),
                                             P(9), P(10), P(11));
                       return 0.0;
                     },
                     tol);
          }
        }
    }
}

/* ------------------------------------------------------------------ optimisers, dropout masks */
static void t_optim_random() {
  for (int64_t n : {0, 1, 100003})
    for (int mode = 0; mode < 3; mode++) {
      Arr Pp = F(rnd(n)), G = F(rnd(n)), M = F(rnd(n, -0.1, 0.1)), V = F(rnd(n, 0, 0.1));
      double wd = mode == 0 ? 0 : 0.01;
      int dec = mode == 2;
      char name[96];
      snprintf(name, sizeof name, "adamStep n%lld mode%d", (long long)n, mode);
      run_case(name, {&Pp, &G, &M, &V}, {0, 2, 3},
               [=](void **p, double *) { return gfc_adam_step(P(0), P(1), P(2), P(3), n, 1e-3, 0.9, 0.999, 1e-8, wd, 7, dec); },
               [=](void **p) { gf_adam_step(P(0), P(1), P(2), P(3), n, 1e-3, 0.9, 0.999, 1e-8, wd, 7, dec); return 0.0; },
               TOL_EXACT);
      for (int first = 0; first < 2; first++) {
        Arr Buf = F(rnd(n));
        double mom = mode == 0 ? 0 : 0.9;
        int nesterov = mode == 2;
        snprintf(name, sizeof name, "sgdStep n%lld mode%d first%d", (long long)n, mode, first);
        run_case(name, {&Pp, &G, &Buf}, {0, 2},
                 [=](void **p, double *) { return gfc_sgd_step(P(0), P(1), P(2), n, 0.01, mom, 0.1, wd, nesterov, first); },
                 [=](void **p) { gf_sgd_step(P(0), P(1), P(2), n, 0.01, mom, 0.1, wd, nesterov, first); return 0.0; },
                 TOL_EXACT);
      }
    }
  for (int64_t n : {0, 1, 255, 256, 257, 1000003})
    for (int below = 0; below < 2; below++) {
      Arr St = U32({0x12345678u, 0x9abcdef0u, 0x0fedcba9u, 0x87654321u}), O = F(rnd(n));
      char name[96];
      snprintf(name, sizeof name, "uniformMask n%lld below%d (bit-exact, state too)", (long long)n, below);
      run_case(name, {&St, &O}, {0, 1},
               [=](void **p, double *) { return gfc_uniform_mask((uint32_t *)p[0], P(1), n, 0.3, 1.25f, below); },
               [=](void **p) { gf_uniform_mask((uint32_t *)p[0], P(1), n, 0.3, 1.25f, below); return 0.0; }, 0);
    }
}

int main(int argc, char **argv) {
  char err[512];
  int dev = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--small")) g_max_bytes = 16000000;
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) g_only = argv[++i];
    else dev = atoi(argv[i]);
  }
  if (gfc_init(dev, err, sizeof err)) {
    printf("gfc_test: no GPU to test on: %s\n", err);
    return 2;
  }
  /* the runtime itself: TF32 is refused (fp32 only), the allocator reuses and accounts */
  if (gfc_set_tf32(0) != 0 || gfc_set_tf32(1) != GFC_EARG) fail_line("gfc_set_tf32", "TF32 is not refused");
  void *a = gfc_alloc(1000);
  size_t used = gfc_bytes_in_use();
  gfc_free(a);
  void *b = gfc_alloc(900);
#ifndef GFC_EXACT_SIZES /* (AddressSanitizer builds give every size its own class) */
  if (b != a || used == 0 || gfc_bytes_in_use() != used) fail_line("allocator", "a freed block of the class is not reused");
#endif
  gfc_free(b);
  if (gfc_bytes_in_use() != 0) fail_line("allocator", "bytes in use are not 0 after every block was freed");
  t_matmul();
  t_elementwise();
  t_reduce_softmax_losses();
  t_gather_messages();
  t_segment_bn();
  t_decay_table();
  t_decay_attention();
  t_optim_random();
  printf("gfc_test: %d cases, %d failed, %d skipped (--small); peak GPU memory %.1f MB\n", g_cases, g_fail, g_skipped,
         gfc_peak_bytes() / 1e6);
  return g_fail ? 1 : 0;
}
