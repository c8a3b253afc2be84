// Counter-based random draws: a value depends only on (seed, stream, index),
// never on the order of calls, so counterfactual samples are reproducible
// per sample index and batches can be generated in any order.
#ifndef LIB_UTIL_RANDOM_H_
#define LIB_UTIL_RANDOM_H_

#include <cstdint>

namespace mmc {

// SplitMix64 finaliser: a bijective 64-bit mix.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A 64-bit hash of (seed, stream, index).
inline uint64_t CounterHash(uint64_t seed, uint64_t stream, uint64_t index) {
  return Mix64(Mix64(Mix64(seed) ^ stream) ^ index);
}

// A uniform integer in [0, n) from (seed, stream, index); n > 0. Uses the
// high bits with a multiply (Lemire), bias below 2^-32 for n < 2^32.
inline int64_t UniformInt(uint64_t seed, uint64_t stream, uint64_t index,
                          int64_t n) {
  const uint64_t h = CounterHash(seed, stream, index) >> 32;
  return static_cast<int64_t>((h * static_cast<uint64_t>(n)) >> 32);
}

}  // namespace mmc

#endif  // LIB_UTIL_RANDOM_H_
