// Checkpoint format: a ParamMap (plus a small string-to-string metadata map
// and optional extra tensor maps, e.g. SGD momentum buffers) in one file
// with a CRC-32 over the payload. Writes are atomic; a truncated or
// corrupted file is detected and reported, never loaded.
//
// Layout: "MMCP" magic, u32 version, u64 payload size, u32 CRC-32 of the
// payload, then the payload: metadata entries, then tensor sections, each a
// list of (name, dtype, shape, raw little-endian bytes).
#ifndef LIB_MODELS_PARAM_IO_H_
#define LIB_MODELS_PARAM_IO_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/models/param_map.h"

namespace mmc {

struct Checkpoint {
  std::map<std::string, std::string> metadata;
  // Named sections of tensors: "params" is the model; others are free.
  std::map<std::string, ParamMap> sections;
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> DecodeCheckpoint(const std::string& bytes,
                                            const std::string& label);

absl::Status SaveCheckpoint(const std::string& path,
                            const Checkpoint& checkpoint);
// DataLoss when the file is truncated or its checksum does not match.
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

}  // namespace mmc

#endif  // LIB_MODELS_PARAM_IO_H_
