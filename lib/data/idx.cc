// Implementation of lib/data/idx.h.
#include "lib/data/idx.h"

#include <zlib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

// Decompresses a whole gzip stream; DataLoss on corrupt or truncated input.
absl::StatusOr<std::string> Gunzip(const std::string& compressed,
                                   const std::string& path) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  stream.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[1 << 16];
  int code = Z_OK;
  while (code == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    code = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    if (code == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (code != Z_STREAM_END) {
    return absl::DataLossError(absl::StrCat(
        path, ": corrupt or truncated gzip data (zlib: ",
        stream.msg != nullptr ? stream.msg : "unexpected end of stream", ")"));
  }
  return out;
}

uint32_t BigEndian32(const std::string& bytes, size_t offset) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 1]))
          << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 3]));
}

}  // namespace

absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path, int rank,
                                     const std::string& how_to_get) {
  absl::StatusOr<std::string> raw = ReadFileToString(path);
  if (!raw.ok()) {
    return absl::Status(raw.status().code(),
                        absl::StrCat(raw.status().message(), ". ", how_to_get));
  }
  std::string bytes = std::move(*raw);
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
      static_cast<uint8_t>(bytes[1]) == 0x8b) {
    absl::StatusOr<std::string> inflated = Gunzip(bytes, path);
    if (!inflated.ok()) {
      return absl::Status(
          inflated.status().code(),
          absl::StrCat(inflated.status().message(), ". ", how_to_get));
    }
    bytes = std::move(*inflated);
  }
  const uint32_t expected_magic = 0x00000800u | static_cast<uint32_t>(rank);
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < header) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated IDX header (%d bytes, expected at least %d). %s", path,
        bytes.size(), header, how_to_get));
  }
  const uint32_t magic = BigEndian32(bytes, 0);
  if (magic != expected_magic) {
    return absl::DataLossError(absl::StrFormat(
        "%s: wrong IDX magic 0x%08x, expected 0x%08x (unsigned bytes, rank "
        "%d). %s",
        path, magic, expected_magic, rank, how_to_get));
  }
  IdxArray array;
  size_t count = 1;
  for (int i = 0; i < rank; ++i) {
    const uint32_t dim = BigEndian32(bytes, 4 + 4 * i);
    array.dims.push_back(dim);
    count *= dim;
  }
  if (bytes.size() != header + count) {
    return absl::DataLossError(absl::StrFormat(
        "%s: expected %d bytes of data after the header (%d bytes in all, "
        "decompressed), found %d: the file is %s. %s",
        path, count, header + count, bytes.size(),
        bytes.size() < header + count ? "truncated" : "too long", how_to_get));
  }
  array.data.assign(bytes.begin() + header, bytes.end());
  return array;
}

std::string EncodeIdx(const IdxArray& array) {
  std::string out;
  auto put32 = [&out](uint32_t v) {
    out.push_back(static_cast<char>(v >> 24));
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
  };
  put32(0x00000800u | static_cast<uint32_t>(array.dims.size()));
  for (int64_t d : array.dims) put32(static_cast<uint32_t>(d));
  out.append(array.data.begin(), array.data.end());
  return out;
}

}  // namespace mmc
