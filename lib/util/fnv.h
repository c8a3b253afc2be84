// FNV-1a, 64 bit: the cache's key hash and the fingerprint of imported
// weights. Not cryptographic; it names things, it does not protect them.
#ifndef LIB_UTIL_FNV_H_
#define LIB_UTIL_FNV_H_

#include <cstddef>
#include <cstdint>

namespace mmc {

inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;

// Continues the hash `hash` over `size` bytes at `data` (start with
// kFnv1a64Offset; feed several pieces by passing the previous result).
inline uint64_t Fnv1a64(const void* data, size_t size,
                        uint64_t hash = kFnv1a64Offset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace mmc

#endif  // LIB_UTIL_FNV_H_
