/*
 * rng.h — the generator's own pseudo-random numbers: xoshiro256** seeded
 * through splitmix64 (Blackman and Vigna, https://prng.di.unimi.it/).
 *
 * The synthetic market must be reproducible from its seed alone, so it
 * never touches rand() or any global state: every stream is a struct rng
 * owned by its user.  The output is the same on every x86-64 build; the
 * doubles derived from it go through libm (log, exp) only in the callers.
 *
 * All functions are static inline, pure apart from *r, never allocate,
 * never block: any thread, hot path included, one thread per struct rng.
 */
#ifndef DM_LIBCORE_GEN_RNG_H
#define DM_LIBCORE_GEN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* One splitmix64 step: advances *x and returns the next output. */
static inline uint64_t rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seed *r from (seed, stream): different streams of one seed are
 * independent sequences.  The state is never all zero. */
static inline void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);

	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256**). */
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return out;
}

/* Uniform double in [0, 1), 53 random bits. */
static inline double rng_uniform(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1]: safe under log(). */
static inline double rng_uniform_pos(struct rng *r)
{
	return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Exponential with the given rate (> 0): mean 1 / rate. */
static inline double rng_exp(struct rng *r, double rate)
{
	return -log(rng_uniform_pos(r)) / rate;
}

/* Standard normal (Box-Muller, the cosine branch only: two uniforms per
 * draw, no state kept between calls). */
static inline double rng_normal(struct rng *r)
{
	double u1 = rng_uniform_pos(r), u2 = rng_uniform(r);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is
 * below 2^-64 * n, irrelevant for n of a few thousand). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

#endif /* DM_LIBCORE_GEN_RNG_H */
