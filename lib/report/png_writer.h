// Writes 8-bit grey or RGB images as PNG through libpng.
#ifndef LIB_REPORT_PNG_WRITER_H_
#define LIB_REPORT_PNG_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mmc {

// `pixels` is row-major, height x width x channels (1 = grey, 3 = RGB).
// The file is written atomically (temp file + rename).
absl::Status WritePng(const std::string& path, int width, int height,
                      int channels, const std::vector<uint8_t>& pixels);

}  // namespace mmc

#endif  // LIB_REPORT_PNG_WRITER_H_
