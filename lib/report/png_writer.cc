// Implementation of lib/report/png_writer.h.
#include "lib/report/png_writer.h"

#include <png.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

void AppendToString(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void NoFlush(png_structp) {}

}  // namespace

absl::Status WritePng(const std::string& path, int width, int height,
                      int channels, const std::vector<uint8_t>& pixels) {
  if (channels != 1 && channels != 3) {
    return absl::InvalidArgumentError("PNG: channels must be 1 or 3");
  }
  if (pixels.size() != static_cast<size_t>(width) * height * channels) {
    return absl::InvalidArgumentError("PNG: pixel buffer has the wrong size");
  }
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png == nullptr ? nullptr : png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return absl::InternalError("libpng: cannot create write structs");
  }
  std::string encoded;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return absl::InternalError(absl::StrCat("libpng failed encoding ", path));
  }
  png_set_write_fn(png, &encoded, AppendToString, NoFlush);
  png_set_IHDR(png, info, width, height, 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int r = 0; r < height; ++r) {
    png_write_row(
        png, const_cast<png_bytep>(pixels.data() +
                                   static_cast<size_t>(r) * width * channels));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return WriteFileAtomically(path, encoded);
}

}  // namespace mmc
