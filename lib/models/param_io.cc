// Implementation of lib/models/param_io.h.
#include "lib/models/param_io.h"

#include <torch/torch.h>
#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr char kMagic[4] = {'M', 'M', 'C', 'P'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 4 + 4 + 8 + 4;

template <typename T>
void Put(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void PutString(std::string* out, const std::string& s) {
  Put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

class Reader {
 public:
  Reader(const std::string& bytes, size_t offset, const std::string& label)
      : bytes_(bytes), pos_(offset), label_(label) {}
  template <typename T>
  absl::StatusOr<T> Get() {
    if (pos_ + sizeof(T) > bytes_.size()) return Truncated();
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  absl::StatusOr<std::string> GetString() {
    ASSIGN_OR_RETURN(uint32_t n, Get<uint32_t>());
    return GetBytes(n);
  }
  absl::StatusOr<std::string> GetBytes(size_t n) {
    if (pos_ + n > bytes_.size()) return Truncated();
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  absl::Status Truncated() const {
    return absl::DataLossError(
        absl::StrCat(label_, ": checkpoint payload ends early"));
  }
  const std::string& bytes_;
  size_t pos_;
  std::string label_;
};

}  // namespace

std::string EncodeCheckpoint(const Checkpoint& checkpoint) {
  std::string payload;
  Put<uint32_t>(&payload, static_cast<uint32_t>(checkpoint.metadata.size()));
  for (const auto& [key, value] : checkpoint.metadata) {
    PutString(&payload, key);
    PutString(&payload, value);
  }
  Put<uint32_t>(&payload, static_cast<uint32_t>(checkpoint.sections.size()));
  for (const auto& [section, params] : checkpoint.sections) {
    PutString(&payload, section);
    Put<uint32_t>(&payload, static_cast<uint32_t>(params.size()));
    for (const auto& [name, tensor] : params) {
      torch::Tensor t =
          tensor.detach().to(torch::kCPU).to(torch::kFloat).contiguous();
      PutString(&payload, name);
      Put<uint32_t>(&payload, static_cast<uint32_t>(t.dim()));
      for (int64_t d : t.sizes()) Put<int64_t>(&payload, d);
      payload.append(static_cast<const char*>(t.data_ptr()),
                     t.numel() * sizeof(float));
    }
  }
  std::string out(kMagic, 4);
  Put<uint32_t>(&out, kVersion);
  Put<uint64_t>(&out, payload.size());
  Put<uint32_t>(&out, static_cast<uint32_t>(crc32(
                          0, reinterpret_cast<const Bytef*>(payload.data()),
                          static_cast<uInt>(payload.size()))));
  out += payload;
  return out;
}

absl::StatusOr<Checkpoint> DecodeCheckpoint(const std::string& bytes,
                                            const std::string& label) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return absl::DataLossError(
        absl::StrCat(label, ": not an mmc-lens checkpoint (bad header)"));
  }
  Reader header(bytes, 4, label);
  ASSIGN_OR_RETURN(uint32_t version, header.Get<uint32_t>());
  ASSIGN_OR_RETURN(uint64_t size, header.Get<uint64_t>());
  ASSIGN_OR_RETURN(uint32_t crc, header.Get<uint32_t>());
  if (version != kVersion) {
    return absl::DataLossError(absl::StrCat(label, ": checkpoint version ",
                                            version, ", expected ", kVersion));
  }
  if (bytes.size() != kHeaderSize + size) {
    return absl::DataLossError(absl::StrCat(
        label, ": checkpoint is ", bytes.size(), " bytes, expected ",
        kHeaderSize + size, " (truncated or overwritten)"));
  }
  const uint32_t actual = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data() + kHeaderSize),
            static_cast<uInt>(size)));
  if (actual != crc) {
    return absl::DataLossError(
        absl::StrCat(label, ": checkpoint checksum mismatch (corrupted)"));
  }
  Reader r(bytes, kHeaderSize, label);
  Checkpoint checkpoint;
  ASSIGN_OR_RETURN(uint32_t n_meta, r.Get<uint32_t>());
  for (uint32_t i = 0; i < n_meta; ++i) {
    ASSIGN_OR_RETURN(std::string key, r.GetString());
    ASSIGN_OR_RETURN(std::string value, r.GetString());
    checkpoint.metadata[key] = value;
  }
  ASSIGN_OR_RETURN(uint32_t n_sections, r.Get<uint32_t>());
  for (uint32_t s = 0; s < n_sections; ++s) {
    ASSIGN_OR_RETURN(std::string section, r.GetString());
    ASSIGN_OR_RETURN(uint32_t n_tensors, r.Get<uint32_t>());
    ParamMap& params = checkpoint.sections[section];
    for (uint32_t i = 0; i < n_tensors; ++i) {
      ASSIGN_OR_RETURN(std::string name, r.GetString());
      ASSIGN_OR_RETURN(uint32_t dims, r.Get<uint32_t>());
      std::vector<int64_t> shape;
      int64_t numel = 1;
      for (uint32_t d = 0; d < dims; ++d) {
        ASSIGN_OR_RETURN(int64_t extent, r.Get<int64_t>());
        shape.push_back(extent);
        numel *= extent;
      }
      ASSIGN_OR_RETURN(std::string raw, r.GetBytes(numel * sizeof(float)));
      torch::Tensor t =
          torch::empty(shape, torch::dtype(torch::kFloat).device(torch::kCPU));
      std::memcpy(t.data_ptr(), raw.data(), raw.size());
      params[name] = t;
    }
  }
  if (!r.AtEnd()) {
    return absl::DataLossError(absl::StrCat(label, ": trailing bytes"));
  }
  return checkpoint;
}

absl::Status SaveCheckpoint(const std::string& path,
                            const Checkpoint& checkpoint) {
  return WriteFileAtomically(path, EncodeCheckpoint(checkpoint));
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return DecodeCheckpoint(bytes, path);
}

}  // namespace mmc
