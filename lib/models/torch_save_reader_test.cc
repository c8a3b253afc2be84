// The torch.save reader on hand-made archives: a well-formed tensor (the
// positive control), then files built to hurt a reader (a tensor reaching
// beyond its storage, a million nested tuples, a global that would run code,
// big-endian data). Real PyTorch files: tests/pytorch/.
#include "lib/models/torch_save_reader.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

std::string Utf8(const std::string& s) {  // BINUNICODE
  std::string out = "X";
  const uint32_t n = s.size();
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + s;
}

// {"w": _rebuild_tensor_v2(storage of 4 floats, offset, (size,), (1,))}.
std::string TensorPickle(int size, int offset = 0) {
  std::string p = "\x80\x02}(" + Utf8("w");
  p += "ctorch._utils\n_rebuild_tensor_v2\n(";
  p += "(" + Utf8("storage") + "ctorch\nFloatStorage\n" + Utf8("0") +
       Utf8("cpu") + "K\x04tQ";
  p += "K" + std::string(1, static_cast<char>(offset));
  p += "K" + std::string(1, static_cast<char>(size)) + "\x85";
  p += std::string("K\x01\x85") + "\x89" + "N" + "tRu.";
  return p;
}

std::string Archive(const std::string& pickle,
                    const std::string& byteorder = "little") {
  std::string bytes;
  caffe2::serialize::PyTorchStreamWriter writer(
      [&bytes](const void* data, size_t size) {
        bytes.append(static_cast<const char*>(data), size);
        return size;
      });
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  writer.writeRecord("byteorder", byteorder.data(), byteorder.size());
  const float values[4] = {1.5f, -2.0f, 3.25f, 4.0f};
  writer.writeRecord("data/0", values, sizeof(values));
  writer.writeEndOfFile();
  return bytes;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(TorchSaveReaderTest, ReadsATensorFromItsStorage) {
  auto entries = ReadTorchSaveDict(Archive(TensorPickle(3, 1)));
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].key, "w");
  EXPECT_TRUE(
      torch::equal((*entries)[0].tensor, torch::tensor({-2.0f, 3.25f, 4.0f})));
}

TEST(TorchSaveReaderTest, TensorBeyondItsStorageIsAnError) {
  for (auto [size, offset] : {std::pair{5, 0}, std::pair{4, 1}}) {
    auto entries = ReadTorchSaveDict(Archive(TensorPickle(size, offset)));
    ASSERT_FALSE(entries.ok());
    EXPECT_THAT(Message(entries.status()), HasSubstr("beyond its storage"));
  }
}

TEST(TorchSaveReaderTest, DeepNestingNeitherCrashesNorPasses) {
  const std::string pickle =
      std::string("\x80\x02N") + std::string(1000000, '\x85') + ".";
  auto entries = ReadTorchSaveDict(Archive(pickle));
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(Message(entries.status()), HasSubstr("holds a tuple"));
}

TEST(TorchSaveReaderTest, GlobalsThatWouldRunCodeAreRefused) {
  auto entries = ReadTorchSaveDict(
      Archive("\x80\x02\x63os\nsystem\n" + Utf8("ls") + "\x85R."));
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(Message(entries.status()),
              HasSubstr("refers to the Python object os.system"));
}

TEST(TorchSaveReaderTest, BigEndianFilesAreRefused) {
  auto entries = ReadTorchSaveDict(Archive(TensorPickle(4), "big"));
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(Message(entries.status()), HasSubstr("big-endian"));
}

}  // namespace
}  // namespace mmc
