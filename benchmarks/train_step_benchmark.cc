// Throughput of one SGD training step, the inner step of RunSgdLoop
// (lib/train/train_loop.cc): SupervisedLoss (forward in BnMode::kTrain,
// cross-entropy), loss.item(), backward, Sgd::Step (momentum 0.9, weight
// decay 1e-4), on random inputs of batch 128 with 2 intra-op threads.
//
// One benchmark per configuration; its name matches the line printed by
// benchmarks/reference/train_step_reference.py, so compare_train_step.sh
// can put both side by side. Counters: items_per_second (images/s) and
// GFLOPs (3 x forward FLOPs x images / s: forward plus about twice that
// for backward).
//
// TRAIN_STEP_PROFILE=<prefix> also writes a Chrome trace of 20 steps per
// configuration (<prefix>.<config>.trace, LibTorch's legacy profiler) after
// the warm-up, untimed: where a step's time goes, op by op.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "benchmarks/peak.h"
#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"
#include "lib/train/sgd.h"
#include "lib/train/train_loop.h"

namespace mmc {
namespace {

// Intra-op threads: 2, or $TRAIN_STEP_THREADS when set (profiling).
int Threads() {
  const char* env = std::getenv("TRAIN_STEP_THREADS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 2;
}
constexpr int64_t kClasses = 10;
constexpr int64_t kBatch = 128;
constexpr int64_t kPoolBatches = 8;  // Inputs to draw batches from.
constexpr double kLr = 0.01;

struct Config {
  // As the reference prints it: <arch>_w<width>_<C>x<H>x<W>_b<batch>.
  const char* name;
  ModelSpec::Arch arch;
  double width;
  int64_t channels, height, width_px;
  int warmup_steps;  // Untimed steps first (the reference's --warmup).
  double min_time;   // Seconds of timed steps, at least.
};

constexpr Config kConfigs[] = {
    {"vgg13_w0.125_1x28x28_b128", ModelSpec::VGG13, 0.125, 1, 28, 28, 5, 3.0},
    {"vgg13_w0.125_1x56x28_b128", ModelSpec::VGG13, 0.125, 1, 56, 28, 5, 3.0},
    {"resnet18_w0.125_3x32x32_b128", ModelSpec::RESNET18, 0.125, 3, 32, 32, 5,
     3.0},
    {"resnet18_w1.0_3x32x32_b128", ModelSpec::RESNET18, 1.0, 3, 32, 32, 2, 5.0},
};

void BM_TrainStep(benchmark::State& state, const Config& config) {
  torch::set_num_threads(Threads());
  ModelSpec spec;
  spec.set_arch(config.arch);
  spec.set_width(config.width);
  auto model = Model::Create(spec, config.channels, kClasses);
  if (!model.ok()) {
    state.SkipWithError(std::string(model.status().message()).c_str());
    return;
  }
  ParamMap params = (*model)->Init(/*seed=*/0);
  torch::manual_seed(0);
  const int64_t pool = kBatch * kPoolBatches;
  auto data = std::make_shared<Batch>();
  data->x =
      torch::randn({pool, config.channels, config.height, config.width_px});
  data->y = torch::randint(0, kClasses, {pool}, torch::kLong);
  const LossFn loss_fn = SupervisedLoss(**model, data);
  Sgd sgd(/*momentum=*/0.9, /*weight_decay=*/1e-4);
  sgd.Prepare(&params);

  int64_t step = 0;
  torch::Tensor first_bad = torch::full(
      {}, -1, torch::TensorOptions().dtype(torch::kLong).device(torch::kCPU));
  // The body of RunSgdLoop's inner loop, minus progress output: loss of the
  // batch, the on-device NaN tally, backward, update.
  auto train_step = [&] {
    torch::Tensor indices = torch::randint(
        0, pool, {kBatch},
        torch::TensorOptions().dtype(torch::kLong).device(torch::kCPU));
    StepResult result = loss_fn(params, indices, step);
    {
      torch::NoGradGuard no_grad;
      first_bad.masked_fill_(
          first_bad.lt(0).logical_and_(
              result.loss.detach().isfinite().logical_not_()),
          step);
    }
    ++step;
    result.loss.backward();
    sgd.Step(&params, kLr);
  };
  for (int i = 0; i < config.warmup_steps; ++i) train_step();
  if (const char* trace = std::getenv("TRAIN_STEP_PROFILE")) {
    torch::autograd::profiler::RecordProfile guard(std::string(trace) + "." +
                                                   config.name + ".trace");
    for (int i = 0; i < 20; ++i) train_step();
  }

  for (auto _ : state) train_step();
  if (first_bad.item<int64_t>() >= 0) {
    state.SkipWithError("the loss became NaN or inf");
  }

  const double images = static_cast<double>(state.iterations()) * kBatch;
  state.SetItemsProcessed(static_cast<int64_t>(images));
  state.counters["GFLOPs"] = benchmark::Counter(
      3.0 * (*model)->ForwardFlops(config.height, config.width_px) * images *
          1e-9,
      benchmark::Counter::kIsRate);
  state.SetLabel((*model)->Describe());
}

// Seconds of timed steps per configuration: the config's min_time, or
// $TRAIN_STEP_MIN_TIME when set (compare_train_step.sh alternates short runs
// of ours and the reference). A per-benchmark MinTime would win over
// --benchmark_min_time, hence the variable.
double MinTime(const Config& config) {
  const char* env = std::getenv("TRAIN_STEP_MIN_TIME");
  if (env != nullptr && std::atof(env) > 0) return std::atof(env);
  return config.min_time;
}

// Registered by hand: BENCHMARK_CAPTURE would stringify "w0.125" as
// "w0 .125".
const bool kRegistered = [] {
  for (const Config& config : kConfigs) {
    benchmark::RegisterBenchmark(config.name, BM_TrainStep, config)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(MinTime(config))
        ->UseRealTime();
  }
  // The same threads' attainable FLOP/s: compare_train_step.sh states the
  // training step as a share of the convolution peak.
  RegisterPeakBenchmarks(Threads());
  return true;
}();

}  // namespace
}  // namespace mmc
