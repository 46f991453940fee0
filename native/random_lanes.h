/*
 * Dropout masks drawn 16 elements at a time (random_lanes.c): the xoshiro128** stream of
 * random.c split into 16 contiguous chunks, each lane jumped ahead to its chunk's first draw.
 * Only in GCC builds for x86-64 (the addon), and used only where rng16_available().
 */
#ifndef GF_RANDOM_LANES_H
#define GF_RANDOM_LANES_H
#include <stdint.h>

/* random.c: state advanced by `draws` 32-bit draws, by rng16_jump where rng16_available() (returns 1),
   else by stepping (returns 0). For the addon's rngJump, which tests the jump against stepping. */
int gf_rng_jump(uint32_t *state, uint64_t draws);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GF_RNG16 1
#pragma GCC visibility push(hidden) /* internal to the addon */
/* 1 when the CPU has what the code below is compiled for (AVX-512F, AVX2, PCLMULQDQ). */
int rng16_available(void);
/* s <- the state after `draws` draws (32-bit outputs), in < 1 us whatever the count. */
void rng16_jump(uint32_t *s, uint64_t draws);
/* The first 16 * (n / 16) elements of random.c's mask_loop(s, out, n, cut, keep, below), and s
   advanced past them (2 draws each): the caller draws the rest (< 16) in order. Returns how
   many elements it drew. */
int64_t rng16_mask(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below);
#pragma GCC visibility pop
#endif
#endif
