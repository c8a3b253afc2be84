// Implementation of lib/data/dataset_kinds.h.
#include "lib/data/dataset_kinds.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmc {
namespace {

absl::StatusOr<TrainTest> LoadCifar10Files(const std::string& dir) {
  return LoadCifar10(dir);
}

absl::StatusOr<TrainTest> LoadCifar100Files(const std::string& dir) {
  return LoadCifar100(dir);
}

}  // namespace

const std::vector<DatasetKind>& DatasetKinds() {
  static const std::vector<DatasetKind>* kinds = new std::vector<DatasetKind>{
      {DatasetSpec::FASHION_MNIST_BOX,
       {60000, 10000, 1, 28, 28, 10},
       CueStyle::kWhiteBox,
       LoadFashionMnist,
       nullptr},
      {DatasetSpec::CIFAR10_BOX,
       {50000, 10000, 3, 32, 32, 10},
       CueStyle::kWhiteBox,
       LoadCifar10Files,
       nullptr},
      {DatasetSpec::CIFAR100_BOX,
       {50000, 10000, 3, 32, 32, 100},
       CueStyle::kColouredBox,
       LoadCifar100Files,
       nullptr},
      // The directory names the complex source; the simple one (MNIST,
      // Fashion-MNIST) is found at its default location.
      {DatasetSpec::DOMINOES_MNIST_FASHION,
       {60000, 10000, 1, 56, 28, 10},
       CueStyle::kDominoes,
       LoadFashionMnist,
       LoadMnist},
      {DatasetSpec::DOMINOES_FASHION_CIFAR10,
       {50000, 10000, 3, 64, 32, 10},
       CueStyle::kDominoes,
       LoadCifar10Files,
       LoadFashionMnist},
  };
  return *kinds;
}

absl::StatusOr<const DatasetKind*> FindDatasetKind(DatasetSpec::Kind kind) {
  std::vector<std::string> names;
  for (const DatasetKind& entry : DatasetKinds()) {
    if (entry.kind == kind) return &entry;
    names.push_back(DatasetSpec::Kind_Name(entry.kind));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("dataset.kind ", DatasetSpec::Kind_Name(kind),
                   " is not a dataset (", absl::StrJoin(names, ", "), ")"));
}

const DatasetFacts& FactsOf(DatasetSpec::Kind kind) {
  absl::StatusOr<const DatasetKind*> entry = FindDatasetKind(kind);
  if (!entry.ok()) {
    std::cerr << "FactsOf: " << entry.status().message()
              << " (lib/data/dataset_kinds.cc has no entry for it)\n";
    std::abort();
  }
  return (*entry)->facts;
}

}  // namespace mmc
