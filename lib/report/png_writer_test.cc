// Tests for lib/report/png_writer.h: a written PNG reads back with libpng.
#include "lib/report/png_writer.h"

#include <png.h>

#include <cstdlib>

#include "gtest/gtest.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

TEST(PngWriterTest, RgbRoundTrips) {
  const std::string path = TestTmpPath("x.png");
  std::vector<uint8_t> pixels(5 * 4 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = i * 4;
  ASSERT_TRUE(WritePng(path, 5, 4, 3, pixels).ok());

  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&image, path.c_str()));
  EXPECT_EQ(image.width, 5u);
  EXPECT_EQ(image.height, 4u);
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> back(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, back.data(), 0, nullptr));
  EXPECT_EQ(back, pixels);
}

TEST(PngWriterTest, WrongBufferSizeIsAnError) {
  EXPECT_FALSE(WritePng("/tmp/never.png", 5, 4, 1, {1, 2, 3}).ok());
}

}  // namespace
}  // namespace mmc
