// Vectors of 8 floats for our AVX2 + FMA kernels (batch_norm_nhwc.cc,
// one_channel_conv.cc, lib/train/fused_sgd.cc), as GCC vector extensions:
// unaligned loads and stores, the fused multiply-add, and ReLU and its gradient
// with ATen's semantics. Include it inside a `#pragma GCC target("avx2,fma")`
// region (these functions inline only into code compiled for that target), and
// check CpuSupported() before calling such code.
#ifndef LIB_MODELS_AVX2_FLOATS_H_
#define LIB_MODELS_AVX2_FLOATS_H_

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace mmc {
namespace avx2 {

typedef float Vec __attribute__((vector_size(32)));
typedef int32_t VecBits __attribute__((vector_size(32)));

constexpr int64_t kLanes = 8;

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
// a * b + c, rounded once.
inline Vec Fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
// clamp_min(v, 0) as ATen's AVX kernels compute it (max(0, v) returning v
// for -0 and NaN): v where v is not < 0.
inline Vec Relu(Vec v) {
  const VecBits negative = v < Vec{};
  return (Vec)((VecBits)v & ~negative);
}
// threshold_backward(g, y, 0): 0 where y <= 0, else g (NaN y passes g).
inline Vec ReluGrad(Vec g, Vec y) {
  const VecBits off = y <= Vec{};
  return (Vec)((VecBits)g & ~off);
}

}  // namespace avx2
}  // namespace mmc

#pragma GCC pop_options

namespace mmc {
namespace avx2 {

// Whether this CPU runs code compiled for avx2 and fma.
inline bool CpuSupported() {
  static const bool supported =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}

}  // namespace avx2
}  // namespace mmc

#endif  // LIB_MODELS_AVX2_FLOATS_H_
