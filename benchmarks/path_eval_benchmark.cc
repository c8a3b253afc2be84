// Throughput of path evaluation (issue 8), the inner loop of Fig. 3 and
// Fig. 4: for points t on a path between two networks, (a) build theta(t),
// (b) reset its BatchNorm statistics on a fixed training subset, (c)
// evaluate it on the four counterfactual sets NC/C/RC/RI, and (d) all of it
// for a whole path of K points (lib/paths/path.h EvaluatePath) as the tasks
// run it (one single-threaded worker per core, each point on one thread),
// one point at a time on both threads, and with all K points stacked into
// one grouped network. Plus the attainable
// peak of this machine with the same threads: a large GEMM and a large
// convolution.
//
// Networks: the quick tier's VGG-13 x1/8 on 1x28x28, *trained*: the
// checked-in smoke models (testdata/smoke_models: theta_C c=0.8, theta_NC
// and the quadratic w/ cue midpoint between them) evaluated on the quick
// spec's real Fashion-MNIST sets (NC/C/RC/RI, 2,500 test images each; BN
// reset on 2,500 images of theta_C's training mix), so that the losses and
// accuracies compared with PyTorch are those of networks that learnt
// something. And the paper tier's ResNet-18 x1 on 3x32x32 with
// PyTorch-default random weights (endpoint seeds 1 and 2, midpoint seed 3)
// and random inputs and labels (seed 1234): no trained ResNet-18 exists on
// this CPU machine (hours of training) and throughput does not depend on
// what the weights learnt.
// Counters: items_per_second (images through the network per second,
// reset plus evaluation) and GFLOPs (forward FLOPs x images / s).
//
// PATH_EVAL_PROFILE=<prefix> also writes a Chrome trace of 3 BN resets per
// network (<prefix>.<name>.bn_reset.trace, LibTorch's legacy profiler),
// untimed: where the reset's time goes, op by op.
//
// With --export_dir=DIR (before any benchmark flags) it also writes, per
// network, DIR/<name>.pt (torch.load-able dict: endpoints, midpoint,
// BN-reset data, sets, grid sizes) and DIR/<name>_ours.json (our
// accuracies and losses of the whole linear and quadratic paths), which
// benchmarks/reference/path_eval_reference.py and benchmarks/compare.sh use.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "benchmarks/peak.h"
#include "lib/data/cue_dataset.h"
#include "lib/experiment/eval_sets.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/paths/bn_reset.h"
#include "lib/paths/path.h"
#include "lib/runs/endpoints.h"
#include "lib/runs/run_cache.h"
#include "lib/spec/spec.pb.h"
#include "lib/spec/spec_io.h"
#include "lib/train/evaluate.h"

namespace mmc {
namespace {

// Intra-op threads: 2, or $PATH_EVAL_THREADS when set.
int Threads() {
  const char* env = std::getenv("PATH_EVAL_THREADS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 2;
}
constexpr int64_t kClasses = 10;
// Runfiles paths (data deps of the target; bazel run starts in the
// runfiles tree).
constexpr char kSmokeSpecPath[] = "specs/smoke/fashion_box.textproto";
constexpr char kQuickSpecPath[] = "specs/quick/fashion_box.textproto";
constexpr char kSmokeModelsPath[] = "testdata/smoke_models";
const char* const kSetNames[] = {"NC", "C", "RC", "RI"};

struct Config {
  const char* name;  // <arch>_w<width>_<C>x<H>x<W>
  ModelSpec::Arch arch;
  double width;
  int64_t channels, height, width_px;
  int64_t reset_size;  // BN-reset images.
  int64_t set_size;    // Images per evaluation set (4 sets).
  int64_t batch_size;  // Evaluation and reset batches.
  // Trained weights and real data (the VGG), or random ones.
  bool trained;
  // Whole paths timed: {K, points_per_pass, path_workers, quadratic}. Those
  // with the defaults (1, 0) are the tasks' setting; --export_dir writes
  // our numbers for them and compare.sh runs the reference on them.
  std::vector<std::array<int, 4>> whole_paths;
};

bool IsDefault(const std::array<int, 4>& run) {
  return run[1] == 1 && run[2] == 0;
}

// VGG: the quick spec's evaluation sizes. ResNet-18 x1: a smaller subset,
// so that a whole path (11 x 1,500 images of 0.56 GFLOPs) takes about a
// minute rather than ten.
const std::vector<Config>& Configs() {
  static const auto* configs = new std::vector<Config>{
      {"vgg13_w0.125_1x28x28",
       ModelSpec::VGG13,
       0.125,
       1,
       28,
       28,
       2500,
       2500,
       500,
       /*trained=*/true,
       {{11, 1, 0, 0},
        {11, 1, 1, 0},
        {11, 11, 1, 0},
        {11, 1, 0, 1},
        {21, 1, 0, 0},
        {21, 1, 1, 0}}},
      {"resnet18_w1_3x32x32",
       ModelSpec::RESNET18,
       1.0,
       3,
       32,
       32,
       500,
       250,
       250,
       /*trained=*/false,
       {{11, 1, 0, 0}, {11, 1, 1, 0}}},
  };
  return *configs;
}

struct Fixture {
  std::unique_ptr<Model> model;
  ParamMap a, b, mid;
  torch::Tensor bn_data;
  std::vector<std::pair<std::string, Batch>> sets;
  EvalSpec eval;
  double flops_per_image = 0;
  int64_t images_per_point = 0;
};

// Exits with a message: a benchmark without its inputs measures nothing.
template <typename T>
T OrDie(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) {
    std::cerr << "path_eval_benchmark: " << what << ": " << value.status()
              << "\n";
    std::exit(1);
  }
  return *std::move(value);
}

// The trained VGG of the Config comment: models from the checked-in smoke
// cache (training disabled), data from the quick spec's dataset.
void LoadTrained(const Config& config, Fixture* f) {
  const Spec smoke = OrDie(LoadSpec(kSmokeSpecPath), "smoke spec");
  const Spec quick = OrDie(LoadSpec(kQuickSpecPath), "quick spec");
  if (smoke.model().width() != config.width ||
      smoke.model().arch() != config.arch) {
    std::cerr << "path_eval_benchmark: the smoke models are not " << config.name
              << "\n";
    std::exit(1);
  }
  RunCache cache(kSmokeModelsPath);
  cache.set_training_enabled(false);
  const double c = 0.8;
  const TrainedModel a =
      OrDie(cache.Load(EndpointKey(smoke, c, 0)), "theta_C of the smoke cache");
  const TrainedModel b = OrDie(cache.Load(EndpointKey(smoke, 0.0, 0)),
                               "theta_NC of the smoke cache");
  std::optional<RunKey> mid_key;
  for (const RunKey& key : OrDie(cache.CachedKeys(), "smoke cache keys")) {
    if (key.role() == "quadratic_midpoint" &&
        key.data_view() == ViewName(View::kTrainCue) &&
        key.parents_size() == 2 && key.parents(0) == a.hash &&
        key.parents(1) == b.hash) {
      mid_key = key;
    }
  }
  if (!mid_key.has_value()) {
    std::cerr << "path_eval_benchmark: no quadratic w/ cue midpoint between "
                 "theta_C and theta_NC in "
              << kSmokeModelsPath << "\n";
    std::exit(1);
  }
  f->a = a.params;
  f->b = b.params;
  f->mid = OrDie(cache.Load(*mid_key), "the midpoint").params;
  const std::shared_ptr<const CueDataset> dataset =
      OrDie(CueDataset::Load(quick.dataset(), ""), "Fashion-MNIST");
  EvalSpec eval = quick.eval();
  eval.set_test_size(static_cast<int>(config.set_size));
  const EvalSets sets(*dataset, eval, torch::kCPU);
  for (const char* name : kSetNames) {
    for (const auto& [set, batch] : sets.sets()) {
      if (set == name) f->sets.push_back({set, batch});
    }
  }
  f->bn_data = dataset->Materialize(View::kTrainMix, config.reset_size, c).x;
}

const Fixture& GetFixture(const Config& config) {
  static auto* fixtures = new std::map<std::string, std::unique_ptr<Fixture>>;
  std::unique_ptr<Fixture>& slot = (*fixtures)[config.name];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  ModelSpec spec;
  spec.set_arch(config.arch);
  spec.set_width(config.width);
  f.model = std::move(Model::Create(spec, config.channels, kClasses)).value();
  if (config.trained) {
    LoadTrained(config, &f);
  } else {
    f.a = f.model->Init(1);
    f.b = f.model->Init(2);
    f.mid = f.model->Init(3);
    torch::manual_seed(1234);
    f.bn_data = torch::randn(
        {config.reset_size, config.channels, config.height, config.width_px});
    for (const char* name : kSetNames) {
      Batch batch;
      batch.x = torch::randn(
          {config.set_size, config.channels, config.height, config.width_px});
      batch.y = torch::randint(0, kClasses, {config.set_size}, torch::kLong);
      f.sets.push_back({name, batch});
    }
  }
  f.eval.set_batch_size(config.batch_size);
  f.eval.set_bn_reset_mode(EvalSpec::CUMULATIVE);
  f.flops_per_image = f.model->ForwardFlops(config.height, config.width_px);
  f.images_per_point = config.reset_size + 4 * config.set_size;
  return f;
}

void SetRates(benchmark::State& state, const Fixture& f, double images) {
  state.SetItemsProcessed(static_cast<int64_t>(images));
  state.counters["GFLOPs"] = benchmark::Counter(
      f.flops_per_image * images * 1e-9, benchmark::Counter::kIsRate);
}

// (a) theta(0.5) of the linear or quadratic path.
void BM_BuildPoint(benchmark::State& state, const Config& config,
                   bool quadratic) {
  torch::set_num_threads(Threads());
  const Fixture& f = GetFixture(config);
  const Path path =
      quadratic ? QuadraticPath(f.a, f.mid, f.b) : LinearPath(f.a, f.b);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(path.At(0.5));
  state.counters["params/s"] = benchmark::Counter(
      static_cast<double>(CountParameters(f.a)) * state.iterations(),
      benchmark::Counter::kIsRate);
}

// (b) BN reset of theta(0.5) on the reset subset; range(0) = 1: the data
// in channels-last layout.
void BM_BnReset(benchmark::State& state, const Config& config) {
  torch::set_num_threads(Threads());
  const Fixture& f = GetFixture(config);
  const ParamMap point = Interpolate(f.a, f.b, 0.5);
  const torch::Tensor data =
      state.range(0) == 1
          ? f.bn_data.contiguous(torch::MemoryFormat::ChannelsLast)
          : f.bn_data;
  auto reset = [&] {
    ParamMap params = point;
    ResetBatchNorm(*f.model, data, f.eval.batch_size(), EvalSpec::CUMULATIVE,
                   &params);
    benchmark::DoNotOptimize(params);
  };
  if (const char* trace = std::getenv("PATH_EVAL_PROFILE")) {
    reset();
    torch::autograd::profiler::RecordProfile guard(
        absl::StrCat(trace, ".", config.name, ".bn_reset.trace"));
    for (int i = 0; i < 3; ++i) reset();
  }
  for (auto _ : state) reset();
  SetRates(state, f,
           static_cast<double>(state.iterations()) * f.bn_data.size(0));
}

// (c) one reset point on NC/C/RC/RI. range(0): 0 = BN applied (kEval),
// 1 = BN folded into the convs, 2 = folded, channels-last input,
// 3 = folded, oneDNN blocked layout (what EvaluatePath uses).
void BM_EvalPoint(benchmark::State& state, const Config& config) {
  torch::set_num_threads(Threads());
  const Fixture& f = GetFixture(config);
  ParamMap params = Interpolate(f.a, f.b, 0.5);
  ResetBatchNorm(*f.model, f.bn_data, f.eval.batch_size(), EvalSpec::CUMULATIVE,
                 &params);
  const int64_t variant = state.range(0);
  const ParamMap folded = FoldBatchNorm(*f.model, params);
  ForwardOptions options;
  options.bn = variant == 0 ? BnMode::kEval : BnMode::kFolded;
  options.mkldnn = variant == 3;
  std::vector<Batch> sets;
  for (const auto& [name, batch] : f.sets) {
    sets.push_back(batch);
    if (variant == 2) {
      sets.back().x = batch.x.contiguous(torch::MemoryFormat::ChannelsLast);
    }
  }
  int64_t images = 0;
  for (auto _ : state) {
    for (const Batch& batch : sets) {
      benchmark::DoNotOptimize(
          EvaluateStacked(*f.model, variant == 0 ? params : folded, batch,
                          f.eval.batch_size(), options));
      images += batch.x.size(0);
    }
  }
  SetRates(state, f, static_cast<double>(images));
}

// The whole-path runs ({K, points_per_pass, path_workers, quadratic}) of
// each network already evaluated once in this process, by Export or by
// BM_WholePath's warm-up.
std::set<std::string>& WarmedWholePaths() {
  static auto* warmed = new std::set<std::string>;
  return *warmed;
}

std::string WholePathKey(const std::string& name,
                         const std::array<int, 4>& run) {
  return absl::StrCat(name, "/", run[0], "/", run[1], "/", run[2], "/", run[3]);
}

// (d) a whole path: range(0) = K points, range(1) = eval.points_per_pass,
// range(2) = eval.path_workers (0: one per thread, the default),
// range(3) = 1 for the quadratic path. Timed warm, as the PyTorch reference
// (--warmup 1): a path's first evaluation in a process creates its oneDNN
// primitives and buffers, so one untimed evaluation comes first unless
// Export already ran this path here. compare.sh's later rounds run a path
// alone in a new process and rely on that.
void BM_WholePath(benchmark::State& state, const Config& config) {
  torch::set_num_threads(Threads());
  const Fixture& f = GetFixture(config);
  const std::array<int, 4> run = {
      static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
      static_cast<int>(state.range(2)), static_cast<int>(state.range(3))};
  const int num_points = run[0];
  EvalSpec eval = f.eval;
  eval.set_points_per_pass(run[1]);
  eval.set_path_workers(run[2]);
  const Path path =
      run[3] == 1 ? QuadraticPath(f.a, f.mid, f.b) : LinearPath(f.a, f.b);
  const std::vector<double> ts = PathGrid(num_points);
  if (WarmedWholePaths().insert(WholePathKey(config.name, run)).second) {
    EvaluatePath(*f.model, path, ts, f.sets, f.bn_data, eval);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        EvaluatePath(*f.model, path, ts, f.sets, f.bn_data, eval));
  }
  SetRates(state, f,
           static_cast<double>(state.iterations()) * num_points *
               f.images_per_point);
}

void Register() {
  for (const Config& config : Configs()) {
    const std::string n = config.name;
    benchmark::RegisterBenchmark((n + "/build_point/linear").c_str(),
                                 BM_BuildPoint, config, false)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((n + "/build_point/quadratic").c_str(),
                                 BM_BuildPoint, config, true)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((n + "/bn_reset").c_str(), BM_BnReset, config)
        ->ArgName("channels_last")
        ->DenseRange(0, 1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((n + "/eval_point").c_str(), BM_EvalPoint,
                                 config)
        ->ArgName("variant")
        ->DenseRange(0, 3)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    auto* whole = benchmark::RegisterBenchmark((n + "/whole_path").c_str(),
                                               BM_WholePath, config);
    whole->ArgNames({"K", "per_pass", "workers", "quadratic"})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1);
    for (const std::array<int, 4>& run : config.whole_paths) {
      whole->Args({run[0], run[1], run[2], run[3]});
    }
  }
  RegisterPeakBenchmarks(Threads());
}

// Writes what the PyTorch reference needs and our own path numbers.
void Export(const std::string& dir) {
  torch::set_num_threads(Threads());
  for (const Config& config : Configs()) {
    const Fixture& f = GetFixture(config);
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& [prefix, map] :
         std::vector<std::pair<std::string, const ParamMap*>>{
             {"a/", &f.a}, {"b/", &f.b}, {"m/", &f.mid}}) {
      for (const auto& [name, tensor] : *map) {
        dict.insert(prefix + name, tensor);
      }
    }
    dict.insert("bn_data", f.bn_data);
    for (const auto& [name, batch] : f.sets) {
      dict.insert("set/" + name + "/x", batch.x);
      dict.insert("set/" + name + "/y", batch.y);
    }
    const std::vector<char> bytes = torch::pickle_save(dict);
    const std::string pt = absl::StrCat(dir, "/", config.name, ".pt");
    std::ofstream(pt, std::ios::binary).write(bytes.data(), bytes.size());

    // Our numbers for the whole paths timed with the default settings,
    // keyed "<linear|quadratic>_<K>".
    std::string json = absl::StrFormat(
        "{\"name\": \"%s\", \"arch\": \"%s\", \"width\": %g, "
        "\"channels\": %d, \"batch_size\": %d, \"paths\": {",
        config.name, config.arch == ModelSpec::VGG13 ? "vgg13" : "resnet18",
        config.width, config.channels, config.batch_size);
    std::vector<std::array<int, 4>> runs;
    for (const std::array<int, 4>& run : config.whole_paths) {
      if (IsDefault(run)) runs.push_back(run);
    }
    for (size_t r = 0; r < runs.size(); ++r) {
      const int k = runs[r][0];
      const bool quadratic = runs[r][3] == 1;
      const Path path =
          quadratic ? QuadraticPath(f.a, f.mid, f.b) : LinearPath(f.a, f.b);
      const auto points =
          EvaluatePath(*f.model, path, PathGrid(k), f.sets, f.bn_data, f.eval);
      WarmedWholePaths().insert(WholePathKey(config.name, runs[r]));
      absl::StrAppend(&json, r ? ", " : "", "\"",
                      quadratic ? "quadratic_" : "linear_", k, "\": [");
      for (size_t i = 0; i < points.size(); ++i) {
        absl::StrAppend(&json, i ? ", " : "", "{\"t\": ", points[i].t);
        for (const auto& [set, metrics] : points[i].sets) {
          absl::StrAppendFormat(&json, ", \"%s\": [%.6f, %.8f]", set,
                                metrics.first, metrics.second);
        }
        absl::StrAppend(&json, "}");
      }
      absl::StrAppend(&json, "]");
    }
    absl::StrAppend(&json, "}}\n");
    std::ofstream(absl::StrCat(dir, "/", config.name, "_ours.json")) << json;
    std::cerr << "exported " << pt << "\n";
  }
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  // --export_dir=DIR is ours; the rest goes to Google Benchmark.
  std::vector<char*> rest;
  std::string export_dir;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--export_dir=", 0) == 0) {
      export_dir = arg.substr(13);
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!export_dir.empty()) mmc::Export(export_dir);
  int rest_argc = static_cast<int>(rest.size());
  mmc::Register();
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
