/*
 * Dropout masks from the project's generator (xoshiro128**, src/util/rng.ts),
 * drawn exactly as Rng.nextFloat() does: two 32-bit outputs -> 53-bit uniform
 * u = ((a >> 5) * 2^26 + (b >> 6)) / 2^53. The state is advanced in place, so a
 * mask drawn here and one drawn in JS from the same state are identical and leave
 * the generator in the same state (resumed runs stay bit-for-bit).
 */
#include "gf.h"
#include <math.h>
#include "random_lanes.h"

/* Masks at least this long are drawn 16 or 8 lanes at a time where the CPU can (random_lanes.c).
   The lanes' jump-ahead costs ~0.6-1 us a call: 16 lanes lost at 128 elements and won by ~20% at
   256-512 (bench/random.ts), so 512 leaves a margin; ZINC draws 39k-89k (PERFORMANCE round 16x). */
#define LANES_MIN 512

/* The kept/dropped outcome is a coin flip, so it must not be a branch (a mispredict
   per element made this ~12 ns/element): the value comes from a 2-entry table.
   u = x / 2^53 with the integer x = (hi << 26) + lo < 2^53, and for a double t:
   u < t  <=>  x < t * 2^53 (exact: a power-of-two scale)  <=>  x < ceil(t * 2^53), so
   the test is one integer compare against a cut computed once (no int->double
   conversions and multiplies per element); `below` picks the side. */
static void mask_loop(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below) {
  const float vals[2] = {0.0f, keep};
  for (int64_t i = 0; i < n; i++) {
    uint64_t hi = gf_rng_next(s) >> 5, lo = gf_rng_next(s) >> 6;
    uint64_t x = (hi << 26) + lo;
    int kept = below ? (x < cut) : (x >= cut);
    out[i] = vals[kept];
  }
}

/* ceil(t * 2^53) clamped to [0, 2^53] (every x is below 2^53; NaN: see gf_uniform_mask). */
static uint64_t cut_of(double t) {
  double c = ceil(t * 0x1p53);
  if (!(c > 0)) return 0;
  if (c >= 0x1p53) return (uint64_t)1 << 53;
  return (uint64_t)c;
}

void gf_uniform_mask(uint32_t *state, float *out, int64_t n, double threshold, float keep, int below) {
  uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  if (threshold != threshold) {
    /* NaN: u < NaN and u >= NaN are both false, so nothing is kept (the stream still advances) */
    for (int64_t i = 0; i < n; i++) { gf_rng_next(s); gf_rng_next(s); out[i] = 0.0f; }
  } else {
    uint64_t cut = cut_of(threshold);
    int64_t done = 0;
#ifdef GF_RNG_LANES
    if (n >= LANES_MIN && rng_lanes()) done = rng_lanes_mask(s, out, n, cut, keep, below);
#endif
    if (below) mask_loop(s, out + done, n - done, cut, keep, 1);
    else mask_loop(s, out + done, n - done, cut, keep, 0);
  }
  for (int j = 0; j < 4; j++) state[j] = s[j];
}

int gf_rng_jump(uint32_t *state, uint64_t draws) {
#ifdef GF_RNG_LANES
  int lanes = rng_lanes();
  if (lanes) {
    rng_lanes_jump(state, draws);
    return lanes;
  }
#endif
  for (uint64_t i = 0; i < draws; i++) gf_rng_next(state);
  return 0;
}

int gf_rng_set_lanes(int cap) {
#ifdef GF_RNG_LANES
  rng_lanes_cap(cap);
  return rng_lanes();
#else
  (void)cap;
  return 0;
#endif
}
