// Reader for the IDX format of MNIST and Fashion-MNIST, raw or gzip'ed.
#ifndef LIB_DATA_IDX_H_
#define LIB_DATA_IDX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mmc {

// An unsigned-byte IDX array: dims (e.g. {60000, 28, 28}) and row-major data.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Reads an IDX file of unsigned bytes (magic 0x00000801 for rank 1,
// 0x00000803 for rank 3). gzip is detected from the file's first bytes.
// Errors name the file, the expected magic or size, and `how_to_get`.
absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path, int rank,
                                     const std::string& how_to_get);

// Serialises an array as raw IDX bytes (for tests and data conversion).
std::string EncodeIdx(const IdxArray& array);

}  // namespace mmc

#endif  // LIB_DATA_IDX_H_
